/**
 * `npm run local -- --mode openai` as a person runs it: the npm script in a child process on a free port, its banner
 * parsed for the base URL and the key it created, then the official `openai` client against it (models.list and one
 * completion), then the npm process stopped (bounded waits throughout).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import OpenAI from 'openai';

jest.setTimeout(120_000);

const ROOT = path.join(__dirname, '../../..');
const DEFAULT_MODELS = ['haiku', 'sonnet'];
let child: ChildProcess | undefined;
let output = '';

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child?.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child?.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
});

/** Starts `npm run local -- --mode openai --port 0` and waits (bounded) for the whole banner. */
function startLocal(): Promise<{ baseURL: string; apiKey: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && !name.startsWith('npm_')));
  child = spawn('npm', ['run', 'local', '--', '--mode', 'openai', '--port', '0', '--token-delay', '1'], {
    cwd: ROOT,
    env: { ...env, HOME: mkdtempSync(path.join(tmpdir(), 'no-aws-home-')), AWS_EC2_METADATA_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm run local -- --mode openai not ready in 60 s:\n${output}`)), 60_000);
    const onData = (data: Buffer): void => {
      output += data.toString();
      const baseURL = /Base URL:\s+(\S+)/.exec(output)?.[1];
      const apiKey = /API key:\s+(sk-bc-\S+)/.exec(output)?.[1];
      if (baseURL && apiKey && /npm run keys -- create/.test(output)) {
        clearTimeout(timer);
        resolve({ baseURL, apiKey });
      }
    };
    child?.stdout?.on('data', onData);
    child?.stderr?.on('data', onData);
    child?.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm run local -- --mode openai exited ${code}:\n${output}`));
    });
  });
}

test('prints a base URL, a new key, a curl and an openai client example; the openai client lists the models and gets an answer', async () => {
  const { baseURL, apiKey } = await startLocal();
  expect(baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  expect(output).toContain(`curl -N ${baseURL}/chat/completions -H 'authorization: Bearer ${apiKey}'`);
  expect(output).toContain(`export OPENAI_API_KEY=${apiKey}`);
  expect(output).toContain(`export OPENAI_BASE_URL=${baseURL}`);

  const client = new OpenAI({ apiKey, baseURL, maxRetries: 0, timeout: 30_000 });
  const models: string[] = [];
  for await (const model of client.models.list()) models.push(model.id);
  expect(models).toEqual(DEFAULT_MODELS);
  const completion = await client.chat.completions.create({ model: 'haiku', messages: [{ role: 'user', content: 'Hello there' }] });
  expect(completion.choices[0]?.message.content).toContain('[bedrock-emulator]');
  expect(completion.choices[0]?.finish_reason).toBe('stop');
  await expect(new OpenAI({ apiKey: 'sk-bc-wrong', baseURL, maxRetries: 0 }).models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);

  // The key is printed for the person who started the server, never in a request's log line.
  expect(output.split(apiKey).length - 1).toBe(4);
  expect(output).toContain('"event":"chat_request"');
});
