/**
 * ChatMonitoring over every backend the stages monitor: the real entry of each (guest RAG, stored chat with a
 * model, stored chat with an agent, the caller-credentials chat with an agent the caller names) runs against the emulator and dynalite, its EMF lines are parsed, and every
 * alarm ChatMonitoring synthesizes for a function of that backend must refer to a metric (namespace, name,
 * dimension names and values) that the entry emitted. model-chat: chat-monitoring.test.ts; the OpenAI-compatible
 * API: test/lambdas/chat/modes/completions/guardrail-e2e.test.ts.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { BedrockAgentAlias } from '../../../lib/bedrock/bedrock-agent-alias';
import { BedrockModel } from '../../../lib/bedrock/bedrock-model';
import { BedrockAccess } from '../../../lib/constructs/bedrock-access';
import { BedrockChatFunction } from '../../../lib/constructs/bedrock-chat-function';
import { ChatAuth } from '../../../lib/constructs/chat-auth';
import { ChatBackend } from '../../../lib/constructs/chat-backend';
import { ChatMonitoring } from '../../../lib/constructs/chat-monitoring';
import { KnowledgeBase } from '../../../lib/constructs/knowledge-base';
import { startBedrockEmulator } from '../../../tools/local/bedrock-emulator';
import { createRateLimitTable } from '../../../tools/local/dynamo';
import { testStack } from '../../support/cdk-app';
import { type PublishedMetric, publishedMetrics } from '../../support/emf';
import { startJwtChatStack } from '../../support/jwt-services';
import { BASE_ENV, loadEntry, postChat, serveHandler, setEnv, startLocalDynamo, TEST_RATE_LIMIT_NAMESPACE } from '../../support/local-services';
import { useLogCapture } from '../../support/log-capture';
import { startRagChatStack } from '../../support/rag-services';

/** The function name the local runtime's context carries (tools/local/function-url-server.ts). */
const FUNCTION_NAME = 'local-chat';
const HAIKU = BedrockModel.inferenceProfile('global.anthropic.claude-haiku-4-5-20251001-v1:0');
/** The backends answering with models are priced, as a stage with `prices` deploys them: their daily cost alarm then watches an emitted metric. */
const PRICES_ENV = { CHAT_MODEL_PRICES: JSON.stringify({ haiku: { input: 1, output: 5 }, sonnet: { input: 3, output: 15 } }) };
const PRICES = { haiku: { inputPerMillionTokens: 1, outputPerMillionTokens: 5 } };
const PRICED = new Set(['rag', 'stored-model']);

const logs = useLogCapture();
const published: Record<string, PublishedMetric[]> = {};

function summaryMetrics(): PublishedMetric[] {
  return publishedMetrics(logs.json().filter((line) => line.event === 'chat_request'));
}

beforeAll(async () => {
  logs.clear();
  const rag = await startRagChatStack({ emulator: { tokenDelayMs: 1 }, environment: PRICES_ENV });
  try {
    await postChat(rag.url, { message: 'What is the leave policy?', model: 'haiku' });
    await postChat(rag.url, { message: 'x [[emulator:fault=throttling]]', model: 'haiku' });
  } finally {
    await rag.close();
  }
  published.rag = summaryMetrics();

  for (const backend of ['model', 'agent'] as const) {
    logs.clear();
    const stored = await startJwtChatStack({ backend, emulator: { tokenDelayMs: 1 }, ...(backend === 'model' ? { environment: PRICES_ENV } : {}) });
    try {
      const token = await stored.token('alice');
      await stored.request('POST', '/chat', { token, body: { prompt: 'Plan my trip to Lisbon' } });
      await stored.request('POST', '/chat', { token, body: { prompt: 'x [[emulator:fault=throttling]]' } });
    } finally {
      await stored.close();
    }
    published[`stored-${backend}`] = summaryMetrics();
  }

  // The caller-credentials chat of the stages (agent-chat bundle): each caller signs with its own key.
  logs.clear();
  const caller = { accessKeyId: 'AKIACALLER0000000001', secretAccessKey: 'callerSecretKey/000000000000000000000001' };
  const restoreBaseEnv = setEnv(BASE_ENV);
  const emulator = await startBedrockEmulator({ port: 0, tokenDelayMs: 1, principals: [caller] });
  const dynamo = await startLocalDynamo();
  await createRateLimitTable(dynamo.admin, 'monitoring-agent-chat');
  const { entry, restoreEnv } = await loadEntry('agent-chat', {
    AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME: emulator.url,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    RATE_LIMIT_TABLE_NAME: 'monitoring-agent-chat',
    RATE_LIMIT_PER_MINUTE: '1000',
    RATE_LIMIT_FAIL_OPEN: 'true',
    RATE_LIMIT_NAMESPACE: TEST_RATE_LIMIT_NAMESPACE,
    CHAT_AUTH_MODE: 'public',
    BEDROCK_ACCESS: 'caller-credentials',
    BEDROCK_ALLOWED_REGIONS: 'eu-west-1',
    AGENT_CALLER_CHOICE: 'true',
  });
  const server = await serveHandler(entry.handler, { identity: null });
  try {
    const agent = { agentId: 'AGENT12345', agentAliasId: 'TSTALIASID', awsCredentials: caller };
    await postChat(server.url, { message: 'Plan my trip', ...agent });
    await postChat(server.url, { message: 'x [[emulator:fault=throttling]]', ...agent });
  } finally {
    await server.close();
    restoreEnv();
    await emulator.close();
    await dynamo.close();
    restoreBaseEnv();
  }
  published['caller-agent'] = summaryMetrics();
}, 120_000);

/** Each backend as a stage deploys it, with ChatMonitoring over it. */
const BACKENDS: Record<string, (stack: ReturnType<typeof testStack>) => ChatBackend> = {
  rag: (stack) => ChatBackend.knowledgeBase(KnowledgeBase.fromKnowledgeBaseId(stack, 'Kb', 'KBTEST0001'), { haiku: HAIKU }, { prices: PRICES }),
  'stored-model': () => ChatBackend.models({ haiku: HAIKU }, { history: {}, prices: PRICES }),
  'stored-agent': () => ChatBackend.agent(BedrockAgentAlias.fromIds('AGENT12345', 'TSTALIASID'), { history: {} }),
  'caller-agent': () => ChatBackend.callerChosenAgent(),
};

function alarmsOf(backend: string) {
  const stack = testStack();
  const chat = new BedrockChatFunction(stack, 'Chat', {
    functionName: FUNCTION_NAME,
    auth: backend === 'rag' ? ChatAuth.iam() : ChatAuth.jwt({ issuer: 'https://id.example.com/', audience: 'chat' }),
    backend: BACKENDS[backend]!(stack),
    ...(backend === 'caller-agent' ? { access: BedrockAccess.callerCredentials() } : {}),
  });
  // The stage's daily cost alarm goes to functions answering with priced models only (stageMonitoring).
  new ChatMonitoring(stack, 'Monitoring', { functions: [chat], thresholds: PRICED.has(backend) ? { dailyCostUsd: 20 } : {} });
  const template = Template.fromStack(stack);
  const functionId = stack.getLogicalId(chat.function.node.defaultChild as never);
  return Object.values(template.findResources('AWS::CloudWatch::Alarm'))
    .map((a) => a.Properties)
    .filter((a) => a.Namespace === 'BedrockChat')
    .map((a) => ({
      name: a.MetricName as string,
      dimensions: Object.fromEntries(
        (a.Dimensions as Array<{ Name: string; Value: unknown }>).map((d) => [
          d.Name,
          JSON.stringify(d.Value) === JSON.stringify({ Ref: functionId }) ? FUNCTION_NAME : String(d.Value),
        ]),
      ),
    }));
}

test.each(Object.keys(BACKENDS))('%s: the entry published the summary line with metrics under its function name', (backend) => {
  const metrics = published[backend]!;
  expect(metrics.length).toBeGreaterThan(0);
  expect(new Set(metrics.map((m) => m.dimensions.FunctionName))).toEqual(new Set([FUNCTION_NAME]));
  const outcomes = new Set(metrics.filter((m) => 'Outcome' in m.dimensions).map((m) => m.dimensions.Outcome));
  expect(outcomes).toEqual(new Set(['ok', 'throttled']));
});

test.each(Object.keys(BACKENDS))('%s: every ChatMonitoring alarm on a BedrockChat metric refers to one the entry emits', (backend) => {
  const alarms = alarmsOf(backend);
  expect(alarms.map((a) => a.name).sort()).toEqual([
    ...(PRICED.has(backend) ? ['EstimatedCost'] : []),
    'ServerErrors',
    'TimeToFirstToken',
    'UpstreamErrors',
    'UpstreamThrottles',
  ]);
  for (const alarm of alarms) {
    const emitted = published[backend]!.some(
      (m) =>
        m.namespace === 'BedrockChat' &&
        m.name === alarm.name &&
        Object.keys(m.dimensions).sort().join() === Object.keys(alarm.dimensions).sort().join() &&
        Object.entries(alarm.dimensions).every(([k, v]) => m.dimensions[k] === v),
    );
    expect({ backend, alarm, emitted }).toEqual({ backend, alarm, emitted: true });
  }
});
