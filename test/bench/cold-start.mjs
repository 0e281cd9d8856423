#!/usr/bin/env node
// Cold-start benchmark: module init time of the deployed bundle, measured in fresh `node`
// processes (one cold load each), as medians, against two baselines built in the same run:
//   empty     an empty ES module: the floor of a cold import
//   all-in-one  one handler bundle importing and constructing all three SDK clients (Bedrock
//               Runtime, Bedrock Agent Runtime, DynamoDB), built the same way: the shape that
//               one bundle per mode replaced
// Usage: node test/bench/cold-start.mjs [--runs N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { buildBundles, TARGET } from '../../lambdas/build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 21;

const common = {
  ...process.env,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDBENCHMARK',
  AWS_SECRET_ACCESS_KEY: 'bench', // never used: no request is sent
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', // Node 20 here; Lambda runs Node 24 (no warning there)
  RATE_LIMIT_TABLE_NAME: 'bench',
  RATE_LIMIT_PER_MINUTE: '10',
  RATE_LIMIT_FAIL_OPEN: 'true',
  RATE_LIMIT_NAMESPACE: 'bench',
  CHAT_AUTH_MODE: 'iam',
};
const MODELS = { CHAT_MODELS: JSON.stringify({ haiku: 'global.anthropic.claude-haiku-4-5-20251001-v1:0' }) };
const JWT = {
  CHAT_AUTH_MODE: 'jwt',
  JWT_ISSUER: 'https://id.example.com/',
  JWT_AUDIENCE: 'chat',
  JWT_JWKS_URI: 'https://id.example.com/.well-known/jwks.json',
  JWT_ALGORITHMS: 'RS256',
  JWT_REQUIRED_CLAIMS: 'email',
  JWT_CLOCK_SKEW_SECONDS: '30',
  HISTORY_TABLE_NAME: 'bench-history',
  HISTORY_TURNS: '10',
};
/** The environment the construct sets for each bundle (only what that mode reads). */
const ENV = {
  'model-chat': { ...common, ...MODELS },
  'rag-chat': { ...common, ...MODELS, KNOWLEDGE_BASE_ID: 'KBBENCH123', RETRIEVAL_RESULTS: '5', RETRIEVAL_MIN_SCORE: '0.4' },
  'stored-model-chat': { ...common, ...MODELS, ...JWT },
  'stored-agent-chat': { ...common, ...JWT, AGENT_ID: 'AGENT12345', AGENT_ALIAS_ID: 'ALIAS12345' },
};

async function baselines() {
  const dir = mkdtempSync(join(tmpdir(), 'cold-start-'));
  const empty = join(dir, 'empty.mjs');
  writeFileSync(empty, 'export const handler = async () => {};\n');
  const allInOneEntry = join(dir, 'all-in-one.mjs');
  writeFileSync(
    allInOneEntry,
    [
      "import { BedrockAgentRuntimeClient, RetrieveCommand } from '@aws-sdk/client-bedrock-agent-runtime';",
      "import { BedrockRuntimeClient, InvokeModelWithResponseStreamCommand } from '@aws-sdk/client-bedrock-runtime';",
      "import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';",
      'const agent = new BedrockAgentRuntimeClient({}); const runtime = new BedrockRuntimeClient({}); const dynamo = new DynamoDBClient({});',
      'export const handler = async () => [agent, runtime, dynamo, RetrieveCommand, InvokeModelWithResponseStreamCommand, UpdateItemCommand];',
    ].join('\n'),
  );
  const allInOne = join(dir, 'all-in-one.bundle.mjs');
  await build({
    entryPoints: [allInOneEntry],
    outfile: allInOne,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: TARGET,
    minify: true,
    mainFields: ['module', 'main'],
    nodePaths: [join(root, 'node_modules')],
    logLevel: 'warning',
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  return { empty, allInOne };
}

/** One cold load: a new process imports the module and reports how long the import took. */
function coldLoad(file, env) {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(performance.now() - t);`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`loading ${file} failed:\n${run.stderr}`);
  return Number(run.stdout.trim());
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

const bundles = await buildBundles({ outRoot: mkdtempSync(join(tmpdir(), 'cold-start-bundles-')) });
const { empty, allInOne } = await baselines();
const subjects = { empty, 'all-in-one (3 clients)': allInOne, ...Object.fromEntries(Object.entries(bundles).map(([name, b]) => [name, b.file])) };
const envOf = (name) => ENV[name] ?? { ...common, ...MODELS };
const samples = Object.fromEntries(Object.keys(subjects).map((k) => [k, []]));
for (let i = 0; i < RUNS; i++) {
  for (const [name, file] of Object.entries(subjects)) samples[name].push(coldLoad(file, envOf(name))); // interleaved: drift hits all alike
}
const baselineMedian = median(samples['all-in-one (3 clients)']);
console.log(`node ${process.version}, ${RUNS} cold loads each, module init (import) time`);
console.log('subject                  bundle KiB   median ms   min ms   vs all-in-one');
for (const [name, file] of Object.entries(subjects)) {
  const m = median(samples[name]);
  console.log(
    `${name.padEnd(24)} ${(statSync(file).size / 1024).toFixed(1).padStart(10)} ${m.toFixed(1).padStart(11)} ${Math.min(...samples[name])
      .toFixed(1)
      .padStart(8)}   ${(m / baselineMedian).toFixed(2)}x`,
  );
}
