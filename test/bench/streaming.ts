#!/usr/bin/env tsx
import { request } from 'node:http';
import { parseArgs } from 'node:util';
// Streaming benchmark: time to first byte and to the end of an answer through the chat function
// (the real entry module behind the Function-URL-like server, DynamoDB rate limiter on dynalite),
// against a baseline in the same run: the same ConverseStream call made directly with the SDK
// against the same emulator. Medians of N sequential requests; the ratios show what the function adds.
// Usage: npm run bench:streaming [-- --runs N --tokens T --token-delay MS]
import { BedrockRuntimeClient, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startBedrockEmulator } from '../../tools/local/bedrock-emulator';
import { createRateLimitTable, startDynalite } from '../../tools/local/dynamo';
import { startFunctionUrlServer } from '../../tools/local/function-url-server';
import { installAwsLambdaGlobal } from '../../tools/local/lambda-runtime';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '21' }, tokens: { type: 'string', default: '40' }, 'token-delay': { type: 'string', default: '10' } },
});
const RUNS = Number(values.runs);
const TOKENS = Number(values.tokens);
const TOKEN_DELAY = Number(values['token-delay']);
const MODEL = 'global.anthropic.claude-haiku-4-5-20251001-v1:0';
const credentials = { accessKeyId: 'AKIDBENCHMARK', secretAccessKey: 'benchmark' };

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timedPost(url: string, body: string): Promise<{ firstByte: number; end: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let firstByte = 0;
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' } }, (res) => {
      res.on('data', () => {
        if (!firstByte) firstByte = performance.now() - started;
      });
      res.on('end', () =>
        res.statusCode === 200 ? resolve({ firstByte, end: performance.now() - started }) : reject(new Error(`status ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'; // Node 20 here; the Lambda runtime is 24

async function main(): Promise<void> {
  const answer = Array.from({ length: TOKENS }, (_, i) => `word${i}`).join(' ');
  const emulator = await startBedrockEmulator({ port: 0, tokenDelayMs: TOKEN_DELAY, answer });
  const dynalite = await startDynalite({ port: 0 });
  const admin = new DynamoDBClient({ endpoint: dynalite.url, region: 'us-east-1', credentials });
  await createRateLimitTable(admin, 'bench-limits');
  admin.destroy();

  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emulator.url,
    AWS_ENDPOINT_URL_DYNAMODB: dynalite.url,
    CHAT_MODELS: JSON.stringify({ haiku: MODEL }),
    RATE_LIMIT_TABLE_NAME: 'bench-limits',
    RATE_LIMIT_PER_MINUTE: '100000',
    RATE_LIMIT_FAIL_OPEN: 'false',
    RATE_LIMIT_NAMESPACE: 'bench',
    CHAT_AUTH_MODE: 'iam',
  });
  installAwsLambdaGlobal();
  const entry = await import('../../lambdas/chat/entry/model-chat');
  const server = await startFunctionUrlServer({ handler: entry.handler, port: 0, onInvocationError: () => {} });
  const direct = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: emulator.url, credentials });
  const silence = console.log;
  console.log = () => {}; // the handler's per-request log lines

  const viaFunction: Array<{ firstByte: number; end: number }> = [];
  const baseline: Array<{ firstByte: number; end: number }> = [];
  const body = JSON.stringify({ message: 'Benchmark question' });
  for (let i = 0; i < RUNS + 2; i++) {
    const started = performance.now();
    let firstByte = 0;
    const out = await direct.send(
      new ConverseStreamCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'Benchmark question' }] }] }),
    );
    for await (const event of out.stream ?? []) if (event.contentBlockDelta && !firstByte) firstByte = performance.now() - started;
    const sample = { firstByte, end: performance.now() - started };
    const fn = await timedPost(server.url, body);
    if (i >= 2) {
      baseline.push(sample);
      viaFunction.push(fn);
    } // the first two warm connections and modules
  }
  console.log = silence;

  const row = (name: string, xs: Array<{ firstByte: number; end: number }>) =>
    `${name.padEnd(34)} ${median(xs.map((x) => x.firstByte))
      .toFixed(1)
      .padStart(10)} ${median(xs.map((x) => x.end))
      .toFixed(1)
      .padStart(10)}`;
  console.log(`node ${process.version}, ${RUNS} sequential requests each, ${TOKENS} tokens at ${TOKEN_DELAY} ms (emulator), medians`);
  console.log(`${'path'.padEnd(34)} ${'first ms'.padStart(10)} ${'end ms'.padStart(10)}`);
  console.log(row('SDK ConverseStream direct (baseline)', baseline));
  console.log(row('chat function (URL → limiter → SSE)', viaFunction));
  const ttfb = median(viaFunction.map((x) => x.firstByte)) / median(baseline.map((x) => x.firstByte));
  const end = median(viaFunction.map((x) => x.end)) / median(baseline.map((x) => x.end));
  const share = median(viaFunction.map((x) => x.firstByte / x.end));
  console.log(
    `ratios vs baseline: first byte ${ttfb.toFixed(2)}x, end ${end.toFixed(2)}x; first byte arrives at ${(share * 100).toFixed(0)}% of the answer's time`,
  );

  direct.destroy();
  await server.close();
  await emulator.close();
  await dynalite.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
