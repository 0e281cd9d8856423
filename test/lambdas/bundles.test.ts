/**
 * The deployed bundles, as built by lambdas/build.mjs: what each carries, that a bundle deployed with IAM auth
 * never runs the token verifier's code, and that every bundle runs unchanged on Node.js 24 under the Lambda
 * runtime's `awslambda.streamifyResponse` against dynalite and the emulator over TLS.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import * as https from 'node:https';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BUNDLES, CHAT_BUNDLES } from '../../contract/bundles';
import { type BedrockEmulator, startBedrockEmulator } from '../../tools/local/bedrock-emulator';
import { type Dynalite, startDynalite } from '../../tools/local/dynamo';
import { type LocalJwtIssuer, startLocalJwtIssuer } from '../../tools/local/jwt-issuer';
import { createLocalTlsCertificate, writeTrustAnchor } from '../../tools/local/tls';
import { BUNDLE_PROFILES } from '../support/bundle-profiles';
import { FAKE_CREDENTIALS } from '../support/events';
import { BASE_ENV, parseSse, postChat, TEST_MODELS, TEST_REGION } from '../support/local-services';

// Node.js 24 from the npm registry, installed into .cache/node24 by `npm test`'s pretest (tools/node24).
const { NODE24_VERSION, node24 } = require('../../tools/node24') as { NODE24_VERSION: string; node24: () => string };
const NODE24 = node24();

interface BuiltBundle {
  file: string;
  bytes: number;
  packages: Record<string, number>;
}
// lambdas/build.mjs is ESM (jest runs CommonJS): run in a child process, exactly as `npm run build:lambdas` does, on
// assets/ (what the package ships and the stages deploy). A bundle whose inputs did not change since the last build
// (`npm test` builds them first) is not rebuilt; its package sizes are those that build recorded.
const built = JSON.parse(execFileSync(process.execPath, [path.join(__dirname, '../../lambdas/build.mjs'), '--json'], { encoding: 'utf8' })) as {
  bundles: Record<string, string>;
  results: Record<string, BuiltBundle>;
};
const build = { BUNDLES: built.bundles };
const bundles = built.results;

/** The npm packages whose code ended up in a bundle. */
function packagesIn(bundle: BuiltBundle): Set<string> {
  return new Set(Object.keys(bundle.packages));
}

const CLIENTS = [
  '@aws-sdk/client-bedrock-runtime',
  '@aws-sdk/client-bedrock-agent-runtime',
  '@aws-sdk/client-bedrock-agent',
  '@aws-sdk/client-dynamodb',
  'jose',
];
/**
 * No bundle carries jose: bearer tokens (`CHAT_AUTH_MODE=jwt`, which every mode can take) are verified with
 * `node:crypto` by jose's rules (lambdas/chat/auth/jws.ts), jose being the tests' oracle; a function deployed with
 * IAM auth never runs the verifier (below). None carries the SDK's Bedrock or DynamoDB clients: the functions call
 * AWS with their own clients (lambdas/chat/aws/), and the SDK's command imports resolve to their stand-ins.
 */
const EXPECTED: Record<string, string[]> = {
  'model-chat': [],
  'rag-chat': [],
  'stored-model-chat': [],
  'stored-agent-chat': [],
  'agent-chat': [],
  completions: [],
  // Not a chat: no auth, no tables; the Bedrock Agent control plane only (the SDK's client, see lambdas/build.mjs).
  'knowledge-base-sync': ['@aws-sdk/client-bedrock-agent'],
};

describe('bundles', () => {
  test('the build makes exactly the bundles the construct deploys', () => {
    expect(Object.keys(build.BUNDLES).sort()).toEqual(Object.values(BUNDLES).sort());
    expect(Object.keys(EXPECTED).sort()).toEqual(Object.values(BUNDLES).sort());
  });

  test.each(Object.keys(EXPECTED))('%s carries exactly the clients its mode calls', (name) => {
    const present = CLIENTS.filter((client) => packagesIn(bundles[name]).has(client));
    expect(present.sort()).toEqual([...EXPECTED[name]].sort());
  });

  test('bundles are minified ESM chunks without CommonJS require, each under 1 MiB', () => {
    for (const bundle of Object.values(bundles)) {
      const code = readFileSync(bundle.file, 'utf8');
      expect(code).not.toContain('createRequire');
      expect(code.split('\n').length).toBeLessThan(100); // minified: a few long lines, not one per statement
      expect(existsSync(`${bundle.file}.map`)).toBe(true);
      expect(bundle.bytes).toBeLessThan(1024 * 1024); // index.mjs and its chunks
      const chunks = readdirSync(path.join(path.dirname(bundle.file), 'chunks')).filter((file) => file.endsWith('.mjs'));
      expect(chunks.length).toBeGreaterThan(0);
      for (const chunk of chunks) {
        expect(readFileSync(path.join(path.dirname(bundle.file), 'chunks', chunk), 'utf8')).not.toContain('Dynamic require of');
      }
    }
  });
});

/**
 * The original sources of every function a cold start and one request of `bundle` ran, from V8's coverage of
 * the process (NODE_V8_COVERAGE) mapped back through the bundle's source map.
 */
function sourcesRun(
  bundle: BuiltBundle,
  env: Record<string, string>,
  method: string,
): { sources: Set<string>; answer: { status: number; code?: string } } {
  const coverageDir = mkdtempSync(path.join(tmpdir(), 'bundle-coverage-'));
  const run = spawnSync(NODE24, [path.join(__dirname, '../support/bundle-request.mjs'), bundle.file, method], {
    env: { ...process.env, ...BASE_ENV, ...env, NODE_V8_COVERAGE: coverageDir },
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (run.status !== 0) throw new Error(`bundle-request.mjs failed: ${run.stderr}`);
  const answer = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { status: number; code?: string };

  // index.mjs and its chunks (lambdas/build.mjs splits the bundle), each with its own source map.
  const bundleDir = `${pathToFileURL(path.dirname(bundle.file)).href}/`;
  const sources = new Set<string>();
  for (const file of readdirSync(coverageDir)) {
    const { result } = JSON.parse(readFileSync(path.join(coverageDir, file), 'utf8')) as {
      result: Array<{ url: string; functions: Array<{ ranges: Array<{ startOffset: number; count: number }> }> }>;
    };
    for (const script of result.filter((s) => s.url.startsWith(bundleDir) && s.url.endsWith('.mjs'))) {
      const scriptFile = fileURLToPath(script.url);
      const code = readFileSync(scriptFile, 'utf8');
      const lineStarts = [0];
      for (let i = code.indexOf('\n'); i !== -1; i = code.indexOf('\n', i + 1)) lineStarts.push(i + 1);
      const map = new SourceMap(JSON.parse(readFileSync(`${scriptFile}.map`, 'utf8')) as SourceMapPayload);
      for (const { ranges } of script.functions) {
        const [whole] = ranges;
        if (!whole || whole.count === 0) continue;
        let line = lineStarts.length - 1;
        while (lineStarts[line]! > whole.startOffset) line--;
        const entry = map.findEntry(line, whole.startOffset - lineStarts[line]!) as { originalSource?: string };
        if (entry.originalSource) sources.add(entry.originalSource);
      }
    }
  }
  return { sources, answer };
}

describe('auth is chosen at init: a bundle deployed with IAM auth never runs the token verifier', () => {
  const MODEL_CHAT = {
    CHAT_MODELS: JSON.stringify(TEST_MODELS),
    RATE_LIMIT_TABLE_NAME: 'bundle-limits',
    RATE_LIMIT_PER_MINUTE: '100',
    RATE_LIMIT_FAIL_OPEN: 'false',
    RATE_LIMIT_NAMESPACE: 'bundle-chat',
  };
  const JWT = {
    CHAT_AUTH_MODE: 'jwt',
    JWT_ISSUER: 'https://issuer.example.com',
    JWT_AUDIENCE: 'chat',
    JWT_JWKS_URI: 'https://issuer.example.com/.well-known/jwks.json',
    JWT_ALGORITHMS: 'RS256',
    JWT_REQUIRED_CLAIMS: '',
    JWT_CLOCK_SKEW_SECONDS: '30',
  };
  const isProject =
    (name: string) =>
    (source: string): boolean =>
      source.endsWith(`/lambdas/chat/${name}`);

  test('model-chat with CHAT_AUTH_MODE=iam: a cold start and a request (405) run no function of the token verifier', () => {
    const { sources, answer } = sourcesRun(bundles['model-chat'], { ...MODEL_CHAT, CHAT_AUTH_MODE: 'iam' }, 'GET');
    expect(answer).toEqual({ status: 405, code: 'method_not_allowed' });
    expect([...sources].some(isProject('auth/iam-authenticator.ts'))).toBe(true); // the mapping works: the IAM path ran
    const verifier = ['jwt-verifier.ts', 'jws.ts', 'local-key-set.ts', 'jwt-claims.ts'].map((file) => `auth/${file}`);
    expect([...sources].filter((source) => verifier.some((file) => source.endsWith(file)))).toEqual([]);
  });

  test('the same bundle with CHAT_AUTH_MODE=jwt builds the verifier at init: a request without a token is refused first (401, not 405)', () => {
    const { sources, answer } = sourcesRun(bundles['model-chat'], { ...MODEL_CHAT, ...JWT }, 'GET');
    expect(answer).toEqual({ status: 401, code: 'token_missing' });
    expect([...sources].some(isProject('auth/jwt-verifier.ts'))).toBe(true);
  });
});

/** A built bundle served by test/support/serve-bundle.ts on Node.js 24 in a child process. */
interface ServedBundle {
  readonly child: ChildProcess;
  readonly url: string;
}

function serveBundle(file: string, auth: 'iam' | 'jwt', env: Record<string, string>): Promise<ServedBundle> {
  const child = spawn(NODE24, ['--import', 'tsx', path.join(__dirname, '../support/serve-bundle.ts'), file, auth === 'jwt' ? 'none' : 'iam'], {
    cwd: path.join(__dirname, '../..'),
    env: { ...process.env, ...BASE_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise<ServedBundle>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bundle server did not start in 30 s: ${stderr}`)), 30_000);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = out.match(/listening (\S+)/);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]! });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bundle server exited ${code}: ${stderr}`));
    });
  });
}

/**
 * Every bundle as Lambda runs it: on Node.js 24 (tools/node24), under the runtime's `awslambda.streamifyResponse`,
 * its SDK clients reaching DynamoDB and Bedrock over TLS (dynalite and the emulator with a local certificate the
 * child trusts through NODE_EXTRA_CA_CERTS, as the Lambda runtime trusts AWS's), one request each.
 */
describe('every bundle on Node.js 24 under the Lambda runtime, with TLS endpoints', () => {
  const certificate = createLocalTlsCertificate();
  let emulator: BedrockEmulator;
  let dynalite: Dynalite;
  let issuer: LocalJwtIssuer;
  const served: Record<string, ServedBundle> = {};

  beforeAll(async () => {
    emulator = await startBedrockEmulator({ port: 0, tokenDelayMs: 5, tls: certificate });
    dynalite = await startDynalite({ port: 0, tls: certificate });
    issuer = await startLocalJwtIssuer();
    const trust = writeTrustAnchor(certificate, path.join(mkdtempSync(path.join(tmpdir(), 'bundle-tls-')), 'ca.pem'));
    const admin = new DynamoDBClient({
      endpoint: dynalite.url,
      region: TEST_REGION,
      credentials: FAKE_CREDENTIALS,
      requestHandler: { httpsAgent: new https.Agent({ ca: certificate.cert }) },
    });
    const endpoints = { bedrock: emulator.url, dynamodb: dynalite.url, jwt: issuer };
    try {
      const envs: Array<readonly [string, Record<string, string>]> = [];
      for (const name of CHAT_BUNDLES) {
        const profile = BUNDLE_PROFILES[name]!;
        envs.push([name, await profile.setUp(admin, endpoints, name)] as const);
      }
      const started = await Promise.allSettled(
        envs.map(([name, env]) => serveBundle(bundles[name]!.file, BUNDLE_PROFILES[name]!.auth, { ...env, NODE_EXTRA_CA_CERTS: trust })),
      );
      started.forEach((result, i) => {
        if (result.status === 'fulfilled') served[envs[i]![0]] = result.value;
      });
      const failed = started.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      admin.destroy();
    }
  }, 90_000);

  afterAll(async () => {
    await Promise.all(
      Object.values(served).map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    await emulator?.close();
    await dynalite?.close();
    await issuer?.close();
  });

  test('every chat bundle has a profile to run it with (test/support/bundle-profiles.ts)', () => {
    expect(CHAT_BUNDLES.filter((name) => !BUNDLE_PROFILES[name])).toEqual([]);
  });

  test('the runtime is Node.js 24 and the endpoints are HTTPS', () => {
    expect(execFileSync(NODE24, ['--version'], { encoding: 'utf8' }).trim()).toBe(`v${NODE24_VERSION}`);
    expect(NODE24_VERSION).toMatch(/^24\./);
    expect(emulator.url).toMatch(/^https:/);
    expect(dynalite.url).toMatch(/^https:/);
  });

  test.each(Object.keys(BUNDLE_PROFILES))('%s streams an SSE answer in several chunks', async (name) => {
    const profile = BUNDLE_PROFILES[name]!;
    const { url } = served[name]!;
    const token = profile.auth === 'jwt' ? await issuer.sign({ sub: 'bundle-user', email: 'bundle-user@example.com' }) : undefined;
    const before = emulator.requests.length;
    const response = await postChat(new URL(profile.request.path, url).toString(), profile.request.body, {
      method: profile.request.method,
      headers: { accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(response.headers['x-request-id']).toBeDefined();
    if (profile.events === 'openai') {
      const lines = response.body.split('\n\n').filter((block) => block.startsWith('data: '));
      expect(lines.filter((line) => line.includes('"chat.completion.chunk"')).length).toBeGreaterThan(1);
      expect(lines.at(-1)).toBe('data: [DONE]');
    } else {
      const events = parseSse(response.body);
      expect(events.filter((e) => e.event === 'delta').length).toBeGreaterThan(1);
      expect(events.at(-1)).toMatchObject({ event: 'done' });
    }
    expect(response.chunks.length).toBeGreaterThan(1);
    expect(emulator.requests.length).toBeGreaterThan(before); // the answer came over TLS from the emulator
  });

  test('answers bad input with its JSON error', async () => {
    const response = await postChat(served['model-chat']!.url, { message: '' });
    expect(response.status).toBe(400);
    expect(response.json().error.code).toBe('message_required');
  });
});
