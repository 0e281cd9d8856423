/**
 * `npm run local` and `npm run client` as a person runs them: the real CLIs in child processes on free
 * ports, talked to over HTTP. Each mode answers; the signed guest client streams an answer from the RAG mode.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { closedPort, parseSse, postChat } from '../../support/local-services';

const ROOT = path.join(__dirname, '../../..');
const TSX = require.resolve('tsx/cli');

interface Running {
  readonly child: ChildProcess;
  output: string;
}

/** Starts a CLI; resolves once `ready` matches its output (bounded), with everything it printed so far. */
function start(script: string, args: string[], ready: RegExp): Promise<Running> {
  const child = spawn(process.execPath, [TSX, path.join(ROOT, script), ...args], {
    cwd: ROOT,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const running: Running = { child, output: '' };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} not ready in 30 s:\n${running.output}`)), 30_000);
    const onData = (data: Buffer): void => {
      running.output += data.toString();
      if (ready.test(running.output)) {
        clearTimeout(timer);
        resolve(running);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited ${code}:\n${running.output}`));
    });
  });
}

/** Runs a CLI to completion (bounded). */
function run(script: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSX, path.join(ROOT, script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
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

async function stop(running: Running | undefined): Promise<void> {
  if (!running || running.child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    running.child.once('exit', () => resolve());
    running.child.kill('SIGINT');
  });
}

describe('npm run local', () => {
  test('IAM mode streams a canned answer over HTTP', async () => {
    const port = await closedPort();
    const local = await start('tools/local/cli.ts', ['--port', String(port), '--token-delay', '5'], /Chat function listening on/);
    try {
      const response = await postChat(`http://127.0.0.1:${port}/`, { message: 'Hello' }, { headers: { accept: 'text/event-stream' } });
      expect(response.status).toBe(200);
      const events = parseSse(response.body);
      expect(events.filter((e) => e.event === 'delta').length).toBeGreaterThan(1);
      expect(events.map((e) => e.data && (e.data as { text?: string }).text).join('')).toContain('canned');
    } finally {
      await stop(local);
    }
  }, 60_000);

  test('RAG mode answers the signed guest client (npm run client), which streams the answer and its sources', async () => {
    const [port, identityPort] = [await closedPort(), await closedPort()];
    const local = await start(
      'tools/local/cli.ts',
      ['--mode', 'rag', '--port', String(port), '--identity-port', String(identityPort), '--token-delay', '5'],
      /Chat function listening on/,
    );
    try {
      const client = await run('client/cli.ts', [
        '--url',
        `http://127.0.0.1:${port}/`,
        '--identity-endpoint',
        `http://127.0.0.1:${identityPort}`,
        'When is support open?',
      ]);
      expect(client.code).toBe(0);
      expect(client.output).toMatch(/canned/i);
      expect(client.output).toMatch(/s3:\/\//);
    } finally {
      await stop(local);
    }
  }, 60_000);

  test('JWT mode prints a signed token that the chat accepts', async () => {
    const port = await closedPort();
    const local = await start('tools/local/cli.ts', ['--mode', 'jwt', '--port', String(port), '--token-delay', '5'], /export TOKEN=\S+\s/);
    try {
      const token = local.output.match(/export TOKEN=(\S+)/)![1];
      const base = `http://127.0.0.1:${port}`;
      const created = await postChat(`${base}/chat`, { prompt: 'What is AWS CDK?' }, { headers: { authorization: `Bearer ${token}` } });
      expect(created.status).toBe(200);
      const chat = created.json<{ chat: { id: string; title: string } }>().chat;
      expect(chat.title).toBe('What is AWS CDK?');
      const listed = await postChat(`${base}/chats`, undefined, { method: 'GET', headers: { authorization: `Bearer ${token}` } });
      expect(listed.json<{ chats: Array<{ id: string }> }>().chats.map((c) => c.id)).toEqual([chat.id]);
      const anonymous = await postChat(`${base}/chats`, undefined, { method: 'GET' });
      expect(anonymous.status).toBe(401);
    } finally {
      await stop(local);
    }
  }, 60_000);
});
