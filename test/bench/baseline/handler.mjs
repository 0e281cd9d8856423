// The benchmark's baseline: a chat handler written the way the common hand-built guides write it (one file,
// unbundled, the AWS SDK loaded from node_modules, three clients with default settings created at init,
// the answer's text written to the stream as it arrives). `npm run bench` serves the same request with it
// and with each bundle, in the same run, on the same runtime and endpoints.
//
// It does what the bundle it stands beside does with Bedrock (env as the construct sets it): a rate-limit
// UpdateItem, then Retrieve + ConverseStream (KNOWLEDGE_BASE_ID set), InvokeAgent (AGENT_ID set) or
// ConverseStream. It checks no bearer token and stores no history, so it does less than the stored-chat bundles.
import { BedrockAgentRuntimeClient, InvokeAgentCommand, RetrieveCommand } from '@aws-sdk/client-bedrock-agent-runtime';
import { BedrockRuntimeClient, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';

const REGION = process.env.AWS_REGION || 'us-east-1';
const KNOWLEDGE_BASE_ID = process.env.KNOWLEDGE_BASE_ID;
const AGENT_ID = process.env.AGENT_ID;
const AGENT_ALIAS_ID = process.env.AGENT_ALIAS_ID;
const RATE_LIMIT_TABLE = process.env.RATE_LIMIT_TABLE_NAME;
const RATE_LIMIT_PER_MINUTE = Number.parseInt(process.env.RATE_LIMIT_PER_MINUTE || '10', 10);
const MODEL = Object.values(JSON.parse(process.env.CHAT_MODELS || '{}'))[0];

const agentClient = new BedrockAgentRuntimeClient({ region: REGION });
const bedrockClient = new BedrockRuntimeClient({ region: REGION });
const dynamoClient = new DynamoDBClient({ region: REGION });

function sanitise(text) {
  return text
    .replace(/<[^>]*>/g, '')
    .replace(/javascript\s*:/gi, '')
    .replace(/on\w+\s*=/gi, '')
    .replace(/\s+/g, ' ')
    .trim();
}

async function isRateLimited(ip) {
  try {
    const now = Math.floor(Date.now() / 1000);
    const result = await dynamoClient.send(
      new UpdateItemCommand({
        TableName: RATE_LIMIT_TABLE,
        Key: { pk: { S: `${ip}#${Math.floor(now / 60)}` } },
        UpdateExpression: 'ADD #count :inc SET #ttl = if_not_exists(#ttl, :ttl)',
        ExpressionAttributeNames: { '#count': 'count', '#ttl': 'expiresAt' },
        ExpressionAttributeValues: { ':inc': { N: '1' }, ':ttl': { N: String(now + 120) } },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number.parseInt(result.Attributes.count.N, 10) > RATE_LIMIT_PER_MINUTE;
  } catch (err) {
    console.error(JSON.stringify({ event: 'rate_limit_error', error: err.message }));
    return false;
  }
}

async function retrieve(query) {
  const response = await agentClient.send(
    new RetrieveCommand({
      knowledgeBaseId: KNOWLEDGE_BASE_ID,
      retrievalQuery: { text: query },
      retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 5 } },
    }),
  );
  return response.retrievalResults.map((r) => r.content.text).join('\n\n');
}

async function streamHandler(event, responseStream, context) {
  const requestId = context?.awsRequestId || 'local';
  const startTime = Date.now();
  const raw = event.isBase64Encoded ? Buffer.from(event.body || '', 'base64').toString('utf-8') : event.body || '{}';
  const body = JSON.parse(raw);
  // { message } (caller-sent turns), { prompt } (stored chats) or OpenAI's { messages } (completions): the last user text.
  const lastUser = Array.isArray(body.messages) ? body.messages.filter((m) => m?.role === 'user').at(-1)?.content : undefined;
  const message = sanitise((body.message || body.prompt || (typeof lastUser === 'string' ? lastUser : '') || '').trim());
  if (!message || message.length > 2000) {
    responseStream.write('Bad request');
    responseStream.end();
    return;
  }
  if (await isRateLimited(event.requestContext?.http?.sourceIp || 'unknown')) {
    responseStream.write('Too many requests');
    responseStream.end();
    return;
  }
  if (AGENT_ID) {
    const out = await agentClient.send(
      new InvokeAgentCommand({
        agentId: AGENT_ID,
        agentAliasId: AGENT_ALIAS_ID,
        sessionId: requestId.replace(/[^\w-]/g, ''),
        inputText: message,
        streamingConfigurations: { streamFinalResponse: true },
      }),
    );
    for await (const part of out.completion) if (part.chunk?.bytes) responseStream.write(Buffer.from(part.chunk.bytes).toString('utf-8'));
  } else {
    const contextText = KNOWLEDGE_BASE_ID ? await retrieve(message) : '';
    const content = KNOWLEDGE_BASE_ID ? `<context>\n${contextText}\n</context>\n\n<question>\n${message}\n</question>` : message;
    const out = await bedrockClient.send(
      new ConverseStreamCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: content }] }], inferenceConfig: { maxTokens: 1024 } }),
    );
    for await (const item of out.stream) if (item.contentBlockDelta?.delta?.text) responseStream.write(item.contentBlockDelta.delta.text);
  }
  responseStream.end();
  console.log(JSON.stringify({ event: 'request_complete', requestId, durationMs: Date.now() - startTime }));
}

const handler =
  typeof awslambda !== 'undefined' && typeof awslambda.streamifyResponse === 'function' ? awslambda.streamifyResponse(streamHandler) : streamHandler;

export { handler, streamHandler };
