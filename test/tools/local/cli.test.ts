/**
 * `npm run local` and `npm run client` as a person runs them: the real CLIs in child processes on free
 * ports, talked to over HTTP. Each mode answers; the signed guest client streams an answer from the RAG mode;
 * stopping `npm run local` (the npm process itself) stops every server it started.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FUNCTION_URL_CORS } from '../../../contract';
import { type BedrockEmulator, startBedrockEmulator } from '../../../tools/local/bedrock-emulator';
import { TSX_IMPORT } from '../../support/bundle-process';
import { closedPort, parseSse, postChat } from '../../support/local-services';

const ROOT = path.join(__dirname, '../../..');
const TSX = require.resolve('tsx/cli');

/** Node's arguments for a CLI script as its npm script runs it: `npm run local` with tsx's loader, `npm run client` through tsx's CLI. */
function scriptArgs(script: string): string[] {
  return script === 'client/cli.ts' ? [TSX, path.join(ROOT, script)] : [...TSX_IMPORT, path.join(ROOT, script)];
}
// The origins the dev stage allows (what `npm run local` answers preflights for by default).
const DEV_ORIGINS = (require('../../../cdk.json') as { context: { stages: { dev: { corsAllowedOrigins: string[] } } } }).context.stages.dev
  .corsAllowedOrigins;

interface Running {
  readonly child: ChildProcess;
  output: string;
}

/** The environment of a CLI run: this one without AWS credentials or profiles, so nothing real is found. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && !name.startsWith('npm_')));
  // An empty home (no ~/.aws) and no instance metadata lookups: the credential chain finds nothing, fast.
  return { ...env, HOME: mkdtempSync(path.join(tmpdir(), 'no-aws-home-')), AWS_EC2_METADATA_DISABLED: 'true', ...extra };
}

/** Starts a process; resolves once `ready` matches its output (bounded), with everything it printed so far. */
function startProcess(command: string, args: string[], ready: RegExp, env = cleanEnv(), detached = false): Promise<Running> {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached });
  const running: Running = { child, output: '' };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} not ready in 30 s:\n${running.output}`)), 30_000);
    const onData = (data: Buffer): void => {
      running.output += data.toString();
      if (ready.test(running.output)) {
        clearTimeout(timer);
        resolve(running);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited ${code}:\n${running.output}`));
    });
  });
}

function start(script: string, args: string[], ready: RegExp): Promise<Running> {
  return startProcess(process.execPath, [...scriptArgs(script), ...args], ready);
}

/** Runs a CLI to completion (bounded). */
function run(script: string, args: string[], env = cleanEnv()): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...scriptArgs(script), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not finish in 30 s:\n${output}`));
    }, 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Sends `signal` and waits (bounded) for the process to exit; resolves with its exit code. */
function stop(running: Running | undefined, signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
  if (!running || running.child.exitCode !== null) return Promise.resolve(running?.child.exitCode ?? null);
  return new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still running 15 s after ${signal}:\n${running.output}`)), 15_000);
    running.child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    running.child.kill(signal);
  });
}

/** Whether something accepts connections on the port. */
function listeningOn(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(true));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(false)));
  });
}

const RATE_LIMIT_LINE = /Rate limit: +10 requests\/minute per caller/;

describe('npm run local', () => {
  describe('IAM mode (one server for these tests)', () => {
    let port: number;
    let local: Running;
    beforeAll(async () => {
      port = await closedPort();
      local = await start('tools/local/cli.ts', ['--port', String(port), '--token-delay', '5'], /Try:/);
    }, 60_000);
    afterAll(() => stop(local));

    test('streams a canned answer, and its banner shows the rate limit', async () => {
      expect(local.output).toMatch(RATE_LIMIT_LINE);
      const response = await postChat(`http://127.0.0.1:${port}/`, { message: 'Hello' }, { headers: { accept: 'text/event-stream' } });
      expect(response.status).toBe(200);
      const events = parseSse(response.body);
      expect(events.filter((e) => e.event === 'delta').length).toBeGreaterThan(1);
      expect(events.map((e) => e.data && (e.data as { text?: string }).text).join('')).toContain('canned');
    });

    test('answers CORS preflights for the stage origins as the Function URL would, without invoking the function', async () => {
      const url = `http://127.0.0.1:${port}/`;
      const [origin] = DEV_ORIGINS;
      const preflight = await postChat(url, undefined, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-amz-date' },
      });
      expect({ status: preflight.status, body: preflight.body }).toEqual({ status: 200, body: '' });
      expect(preflight.headers).toMatchObject({
        'access-control-allow-origin': origin,
        'access-control-allow-methods': FUNCTION_URL_CORS.allowMethods.callerTurns.join(', '),
        'access-control-allow-headers': FUNCTION_URL_CORS.allowHeaders.iam.join(', '),
        'access-control-max-age': String(FUNCTION_URL_CORS.defaultMaxAgeSeconds),
      });
      // The function never saw it: a preflight it handled would be a 405 JSON error for OPTIONS.
      expect(preflight.headers['x-request-id']).toBeUndefined();

      const stranger = await postChat(url, undefined, {
        method: 'OPTIONS',
        headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST' },
      });
      expect(stranger.status).toBe(200);
      expect(Object.keys(stranger.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);

      const call = await postChat(url, { message: 'Hello' }, { headers: { origin } });
      expect(call.status).toBe(200);
      expect(call.headers).toMatchObject({
        'access-control-allow-origin': origin,
        'access-control-expose-headers': FUNCTION_URL_CORS.exposeHeaders.join(', '),
      });
    });

    test("replaces the AWS SDK's Node 20 warning with one banner line", () => {
      expect(local.output).not.toMatch(/NodeVersionSupportWarning/);
      const major = Number(process.versions.node.split('.')[0]);
      if (major < 22) expect(local.output).toMatch(/Node: +v20\.\S+ runs these tools; the AWS SDK supports it until January 2027/);
      else expect(local.output).not.toMatch(/Node: /);
    });
  });

  test('RAG mode answers the signed guest client (npm run client), which streams the answer and its sources', async () => {
    const [port, identityPort] = [await closedPort(), await closedPort()];
    const local = await start(
      'tools/local/cli.ts',
      ['--mode', 'rag', '--port', String(port), '--identity-port', String(identityPort), '--token-delay', '5'],
      /Try the signed client:/,
    );
    try {
      expect(local.output).toMatch(RATE_LIMIT_LINE);
      const client = await run('client/cli.ts', [
        '--url',
        `http://127.0.0.1:${port}/`,
        '--identity-endpoint',
        `http://127.0.0.1:${identityPort}`,
        'When is support open?',
      ]);
      expect(client.code).toBe(0);
      expect(client.output).toMatch(/canned/i);
      // Sources name documents by title or published key, never the bucket (no storage paths reach guests).
      expect(client.output).toMatch(/Sources:\n {2}\S/);
      expect(client.output).not.toMatch(/s3:\/\//);
    } finally {
      await stop(local);
    }
  }, 60_000);

  test('JWT mode acts as several users: a printed token per --subject, or a token minted for x-local-jwt-subject', async () => {
    const port = await closedPort();
    const local = await start(
      'tools/local/cli.ts',
      ['--mode', 'jwt', '--port', String(port), '--token-delay', '5', '--subject', 'alice', '--subject', 'bob'],
      /no token: 401/,
    );
    try {
      expect(local.output).toMatch(RATE_LIMIT_LINE);
      const alice = local.output.match(/export TOKEN=(\S+)/)?.[1];
      const bob = local.output.match(/export TOKEN_BOB=(\S+)/)?.[1];
      const base = `http://127.0.0.1:${port}`;
      const created = await postChat(`${base}/chat`, { prompt: 'What is AWS CDK?' }, { headers: { authorization: `Bearer ${alice}` } });
      expect(created.status).toBe(200);
      const chat = created.json<{ chat: { id: string; title: string; user_id: string } }>().chat;
      expect(chat).toMatchObject({ title: 'What is AWS CDK?', user_id: 'alice' });

      const list = async (headers: Record<string, string>) => {
        const listed = await postChat(`${base}/chats`, undefined, { method: 'GET', headers });
        expect(listed.status).toBe(200);
        return listed.json<{ chats: Array<{ id: string }> }>().chats.map((c) => c.id);
      };
      expect(await list({ authorization: `Bearer ${alice}` })).toEqual([chat.id]);
      expect(await list({ authorization: `Bearer ${bob}` })).toEqual([]);
      expect(await list({ 'x-local-jwt-subject': 'alice' })).toEqual([chat.id]);
      expect(await list({ 'x-local-jwt-subject': 'carol' })).toEqual([]);

      const anonymous = await postChat(`${base}/chats`, undefined, { method: 'GET' });
      expect(anonymous.status).toBe(401);
    } finally {
      await stop(local);
    }
  }, 60_000);

  test('--real-bedrock without AWS credentials says so and starts nothing', async () => {
    const port = await closedPort();
    const result = await run('tools/local/cli.ts', ['--real-bedrock', '--port', String(port)]);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/--real-bedrock needs AWS credentials, and none were found/);
    expect(result.output).toMatch(/leave out --real-bedrock to use the emulator/);
    expect(result.output).not.toMatch(/listening/);
  }, 60_000);

  test('--real-bedrock with credentials starts against Amazon Bedrock', async () => {
    const port = await closedPort();
    const env = cleanEnv({ AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' });
    const local = await startProcess(process.execPath, [...scriptArgs('tools/local/cli.ts'), '--real-bedrock', '--port', String(port)], /Try:/, env);
    try {
      expect(local.output).toMatch(/Bedrock: +Amazon Bedrock in us-east-1/);
    } finally {
      await stop(local);
    }
  }, 60_000);

  test('a port in use names the flag that picks another', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const result = await run('tools/local/cli.ts', ['--port', String(port)]);
      expect(result.code).toBe(1);
      expect(result.output).toContain(`Port ${port} on 127.0.0.1 is already in use`);
      expect(result.output).toMatch(/Pick another with --port <n>/);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  }, 60_000);

  test.each(['SIGINT', 'SIGTERM'] as const)(
    '%s to the npm process stops the server and everything it started',
    async (signal) => {
      const port = await closedPort();
      // Its own process group, so that whatever a failure leaves behind can be cleaned up; the signal goes to npm only.
      const npm = await startProcess('npm', ['run', 'local', '--', '--port', String(port)], /Try:/, cleanEnv(), true);
      try {
        const dynamoPort = Number(npm.output.match(/dynalite at http:\/\/127\.0\.0\.1:(\d+)/)?.[1]);
        expect(await listeningOn(port)).toBe(true);
        expect(await listeningOn(dynamoPort)).toBe(true);

        expect(await stop(npm, signal)).toBe(0);
        expect(npm.output).toMatch(/Stopped\./);
        expect(await listeningOn(port)).toBe(false);
        expect(await listeningOn(dynamoPort)).toBe(false);
        // No process of that run is left behind (the server ran as npm's child, through `exec`).
        const left = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
          .split('\n')
          .filter((line) => line.includes(`--port ${port}`));
        expect(left).toEqual([]);
      } finally {
        try {
          if (npm.child.pid) process.kill(-npm.child.pid, 'SIGKILL');
        } catch {
          // the group is already gone
        }
      }
    },
    60_000,
  );
});

/**
 * `--mode caller-credentials` and `--assume-role ARN --external-id X` against a Bedrock emulator the test owns
 * (reached through the preset AWS_ENDPOINT_URL_* variables, as a user points the CLI at any endpoint): the emulator
 * verifies every signature and records whose key signed each request. The CLI's own key may call only
 * sts:AssumeRole, so an answer signed with it would be refused.
 */
describe('npm run local: whose credentials call Bedrock', () => {
  const FUNCTION_KEY = { accessKeyId: 'AKIALOCALFUNCTION001', secretAccessKey: 'localFunctionSecretKey/0000000000000001' };
  const FUNCTION_ARN = 'arn:aws:iam::111111111111:user/local-function';
  const CALLER = { accessKeyId: 'AKIACLICALLER0000001', secretAccessKey: 'cliCallerSecretKey/00000000000000000001' };
  const ROLE_ARN = 'arn:aws:iam::222222222222:role/CentralBedrock';
  let emulator: BedrockEmulator;
  beforeAll(async () => {
    emulator = await startBedrockEmulator({
      port: 0,
      tokenDelayMs: 0,
      principals: [{ ...FUNCTION_KEY, arn: FUNCTION_ARN, allowedActions: ['sts:AssumeRole'] }, CALLER],
      roles: [{ roleArn: ROLE_ARN, trustedPrincipals: [FUNCTION_ARN], externalId: 'local-tenant' }],
    });
  });
  afterAll(() => emulator.close());
  beforeEach(() => emulator.reset());

  const startLocal = async (args: string[]): Promise<{ local: Running; url: string }> => {
    const port = await closedPort();
    const env = cleanEnv({
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emulator.url,
      AWS_ENDPOINT_URL_STS: emulator.url,
      AWS_ACCESS_KEY_ID: FUNCTION_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: FUNCTION_KEY.secretAccessKey,
    });
    const local = await startProcess(process.execPath, [...scriptArgs('tools/local/cli.ts'), '--port', String(port), ...args], /Try:/, env);
    return { local, url: `http://127.0.0.1:${port}/` };
  };

  test("--mode caller-credentials: the answer is signed with the caller's key from the body; another key is refused", async () => {
    const { local, url } = await startLocal(['--mode', 'caller-credentials']);
    try {
      const answered = await postChat(url, { message: 'Hello', awsCredentials: CALLER });
      expect(answered.status).toBe(200);
      expect(answered.body).toContain('canned');
      expect(emulator.requests.map((r) => r.principal)).toEqual([CALLER.accessKeyId]);
      const refused = await postChat(url, {
        message: 'Hello',
        awsCredentials: { ...CALLER, secretAccessKey: 'notTheSecret/000000000000000000000001' },
      });
      expect([refused.status, refused.json().error.code]).toEqual([401, 'invalid_credentials']);
      expect(emulator.rejected.map((r) => r.errorType)).toEqual(['InvalidSignatureException']);
    } finally {
      await stop(local);
    }
  }, 90_000);

  test('--assume-role ARN --external-id X: one STS call with the external id by the function key, Bedrock signed with the role key', async () => {
    const { local, url } = await startLocal(['--assume-role', ROLE_ARN, '--external-id', 'local-tenant']);
    try {
      expect(local.output).toContain(ROLE_ARN);
      for (const message of ['one', 'two']) expect((await postChat(url, { message })).status).toBe(200);
      expect(emulator.issuedCredentials).toEqual([
        expect.objectContaining({ roleArn: ROLE_ARN, externalId: 'local-tenant', callerAccessKeyId: FUNCTION_KEY.accessKeyId }),
      ]);
      const roleKey = emulator.issuedCredentials[0]!.accessKeyId;
      expect(emulator.requests.map((r) => r.principal)).toEqual([roleKey, roleKey]);
    } finally {
      await stop(local);
    }
  }, 90_000);
});
