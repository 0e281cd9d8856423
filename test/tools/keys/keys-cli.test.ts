/**
 * `npm run keys` as an administrator runs it from a fresh clone: the first case (and one mistake) runs each command as a child process
 * (npm, then tsx) with the SDK's default chain and `AWS_ENDPOINT_URL_DYNAMODB` pointing at a dynalite this test
 * started; each run must exit by itself (bounded: a CLI that keeps a socket open fails here), and the key is printed
 * once, alone on the last line of standard output. The other cases run the same command line in this process
 * (`keysCommand`: its output lines, its error message and its exit code) against the same dynalite, since a child
 * process per command costs a second of CPU and proves nothing the first case does not. The table holds the key's
 * SHA-256 only; a revoked key is refused by the completions function (the built bundle, in its own process) with the
 * openai client's AuthenticationError.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import OpenAI from 'openai';
import { keysCommand } from '../../../tools/keys/cli';
import { type BedrockEmulator, startBedrockEmulator } from '../../../tools/local/bedrock-emulator';
import { createApiKeyTable, createRateLimitTable } from '../../../tools/local/dynamo';
import { type BundleProcess, startBundleProcess } from '../../support/bundle-process';
import { BASE_ENV, type LocalDynamo, setEnv, startLocalDynamo, TEST_MODELS, TEST_REGION } from '../../support/local-services';

jest.setTimeout(180_000);

const ROOT = path.join(__dirname, '../../..');
const TABLE = 'keys-cli-test';
const RUN_LIMIT_MS = 60_000;
const KEY = /^sk-bc-[A-Za-z0-9_-]{43}$/;

let dynamo: LocalDynamo;
let emulator: BedrockEmulator;
let completions: BundleProcess;
let restoreEnv: () => void;

beforeAll(async () => {
  restoreEnv = setEnv(BASE_ENV);
  dynamo = await startLocalDynamo();
  emulator = await startBedrockEmulator({ port: 0, tokenDelayMs: 0 });
  await createApiKeyTable(dynamo.admin, TABLE);
  await createRateLimitTable(dynamo.admin, 'keys-cli-limits');
  completions = await startBundleProcess(
    'completions',
    {
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emulator.url,
      CHAT_MODELS: JSON.stringify(TEST_MODELS),
      CHAT_MAX_TOKENS: '256',
      RATE_LIMIT_TABLE_NAME: 'keys-cli-limits',
      RATE_LIMIT_PER_MINUTE: '1000',
      RATE_LIMIT_FAIL_OPEN: 'true',
      RATE_LIMIT_NAMESPACE: 'keys-cli',
      CHAT_AUTH_MODE: 'api_key',
      API_KEY_TABLE_NAME: TABLE,
    },
    'none',
  );
}, 90_000);

afterAll(async () => {
  await completions?.stop();
  await emulator?.close();
  await dynamo?.close();
  restoreEnv?.();
});

/** `npm run keys -- <args>` with only what a fresh clone has: no AWS profile, the endpoint, placeholder credentials. */
function keys(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && !name.startsWith('npm_')));
  const child = spawn('npm', ['run', 'keys', '--', ...args], {
    cwd: ROOT,
    env: {
      ...env,
      HOME: mkdtempSync(path.join(tmpdir(), 'keys-home-')),
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
      AWS_REGION: TEST_REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_EC2_METADATA_DISABLED: 'true',
      // Quiet the SDK's Node 20 notice and npm's update notice: the checks below read standard error.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      npm_config_update_notifier: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`npm run keys -- ${args.join(' ')} did not exit in ${RUN_LIMIT_MS} ms:\n${stdout}${stderr}`));
    }, RUN_LIMIT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The same command line in this process, with the test's client for the dynalite (`keys` proves the default chain finds it). */
async function keysInProcess(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await keysCommand(
    args,
    {
      out: (line) => {
        stdout += `${line}\n`;
      },
      err: (line) => {
        stderr += `${line}\n`;
      },
    },
    dynamo.admin,
  );
  return { code, stdout, stderr };
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '');

async function create(cli: typeof keys, name: string, ...extra: string[]): Promise<string> {
  const run = await cli('create', '--table', TABLE, '--name', name, ...extra);
  expect({ code: run.code, stderr: run.stderr.trim() }).toEqual({ code: 0, stderr: '' });
  const key = lines(run.stdout).at(-1) ?? '';
  expect(key).toMatch(KEY);
  // Printed once: nowhere else in the output.
  expect(run.stdout.split(key)).toHaveLength(2);
  return key;
}

const client = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${completions.url}v1`, maxRetries: 0, timeout: 20_000 });

test('create prints the key alone on the last line; the table holds only its SHA-256; list shows it without the key', async () => {
  const key = await create(
    keys,
    'ci-bot',
    '--owner',
    'team-a',
    '--requests-per-minute',
    '30',
    '--tokens-per-day',
    '500000',
    '--expires-in-days',
    '90',
  );
  const { Items = [] } = await dynamo.admin.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }));
  const row = Items.find((item) => item.name?.S === 'ci-bot');
  expect(row?.keyHash?.S).toBe(createHash('sha256').update(key).digest('hex'));
  expect(row).toMatchObject({ owner: { S: 'team-a' }, requestsPerMinute: { N: '30' }, tokensPerDay: { N: '500000' }, disabled: { BOOL: false } });
  const stored = JSON.stringify(Items);
  expect(stored).not.toContain(key);
  expect(stored).not.toContain(key.slice('sk-bc-'.length));

  const list = await keys('list', '--table', TABLE);
  expect(list.code).toBe(0);
  const line = lines(list.stdout).find((l) => l.startsWith('ci-bot'));
  expect(line).toMatch(/owner team-a .*active .*30 requests\/min .*500000 tokens\/day/);
  expect(line).toContain(`hash ${row?.keyHash?.S?.slice(0, 12)}…`);
  expect(list.stdout).not.toContain(key);
  // The deployed function accepts it.
  const models: string[] = [];
  for await (const model of client(key).models.list()) models.push(model.id);
  expect(models).toEqual(Object.keys(TEST_MODELS));
});

test('set-budget changes a key’s limits; revoke makes the key fail with AuthenticationError', async () => {
  const key = await create(keysInProcess, 'to-revoke');
  const budget = await keysInProcess('set-budget', '--table', TABLE, '--name', 'to-revoke', '--tokens-per-day', '5', '--cost-per-day-usd', '0.5');
  expect(budget.code).toBe(0);
  const listed = await keysInProcess('list', '--table', TABLE);
  expect(lines(listed.stdout).find((l) => l.startsWith('to-revoke'))).toMatch(/active .*5 tokens\/day .*0\.5 USD\/day/);

  const revoked = await keysInProcess('revoke', '--table', TABLE, '--name', 'to-revoke');
  expect(revoked.code).toBe(0);
  expect(lines((await keysInProcess('list', '--table', TABLE)).stdout).find((l) => l.startsWith('to-revoke'))).toContain('REVOKED');
  const error = await client(key)
    .models.list()
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
});

test('mistakes exit 1 with a message on standard error and no key', async () => {
  // The command line's own exit code and standard error, once through the child process.
  const duplicate = await keys('create', '--table', TABLE, '--name', 'ci-bot');
  expect(duplicate.code).toBe(1);
  expect(duplicate.stderr).toContain("a key named 'ci-bot' exists already");
  expect(duplicate.stdout).not.toMatch(/sk-bc-/);
  const unknown = await keysInProcess('revoke', '--table', TABLE, '--name', 'nobody');
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain("no key is named 'nobody'");
});
