/**
 * Shared pieces of the browser tests: Chromium (Debian's package, or CHROMIUM_PATH), `npm run local`
 * started as a person starts it (the real CLI in a child process, on free ports), a Bedrock emulator the
 * tests own (reached by the CLI through the preset AWS_ENDPOINT_URL_BEDROCK_* variables, so each test
 * picks its answer by a trigger word), and helpers that read the page the way a person sees it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type AnswerContext, type BedrockEmulator, startBedrockEmulator } from '../../tools/local/bedrock-emulator';
import { closedPort } from '../support/local-services';

export const ROOT = path.join(__dirname, '../..');
export const SCREENSHOTS = path.join(ROOT, 'browser-screenshots');
const TSX = require.resolve('tsx/cli');

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Hostile model output: raw HTML, an inline handler, a script, javascript: links, Markdown around raw HTML. */
export const HOSTILE_ANSWER = [
  'Here is <img src=x onerror="window.__pwned = \'img\'"> an image.',
  '',
  '<script>window.__pwned = "script"</script>',
  '',
  '[click me](javascript:window.__pwned=\'link\') and [data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) and <a href="javascript:window.__pwned=1">raw link</a>',
  '',
  '**bold <b onmouseover="window.__pwned=\'b\'">html</b>** and <iframe src="javascript:window.__pwned=\'iframe\'"></iframe>',
  '',
  '![pixel](https://tracker.example/p.gif) <svg onload="window.__pwned=\'svg\'"></svg>',
  '',
  '```html',
  '<script>window.__pwned = "code"</script>',
  '```',
  '',
  'A safe link: [AWS CDK](https://docs.aws.amazon.com/cdk/).',
].join('\n');

export const DEMO_ANSWER = [
  '## Deploying a stage',
  '',
  'Run **one command** per environment; each stage holds its own stacks:',
  '',
  '1. `npm ci`',
  "2. `npx cdk deploy 'dev/*'`",
  '3. Open the site URL from the stack outputs',
  '',
  '```bash',
  "npx cdk deploy 'dev/*' --require-approval never",
  '```',
  '',
  'See the [CDK guide](https://docs.aws.amazon.com/cdk/v2/guide/home.html) for bootstrapping.',
].join('\n');

/** Each trigger word in the question picks an answer; anything else gets a short canned one. */
export function testAnswer(request: AnswerContext): string {
  const asked = request.lastUserText;
  if (/hostile/i.test(asked)) return HOSTILE_ANSWER;
  if (/demo/i.test(asked)) return DEMO_ANSWER;
  if (/long answer/i.test(asked)) return Array.from({ length: 120 }, (_, i) => `Sentence ${i + 1} of a long answer.`).join(' ');
  return 'A short answer from the test emulator, with **bold** text.';
}

export async function startTestEmulator(tokenDelayMs = 15): Promise<BedrockEmulator> {
  return startBedrockEmulator({ port: 0, tokenDelayMs, answer: testAnswer });
}

export interface LocalCli {
  readonly url: string;
  output: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** `npm run local -- <args>` (the CLI itself, through tsx) on a free port; resolves once the page is served. */
export async function startLocal(args: string[], env: Record<string, string> = {}): Promise<LocalCli> {
  const port = await closedPort();
  const child = spawn(process.execPath, [TSX, path.join(ROOT, 'tools/local/cli.ts'), '--port', String(port), ...args], {
    cwd: ROOT,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm run local not ready in 45 s:\n${output}`)), 45_000);
    const onData = (data: Buffer): void => {
      output += data.toString();
      const match = /Chat page: (\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm run local exited ${code}:\n${output}`));
    });
  });
  const running: LocalCli = {
    url,
    output,
    child,
    stop: async () => {
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGINT');
      });
    },
  };
  child.stdout!.on('data', (d: Buffer) => (running.output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (running.output += d.toString()));
  return running;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Records every distinct text of the newest answer while it streams (a MutationObserver in the page). */
export async function watchAnswer(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __renders: string[] };
    w.__renders = [];
    const conversation = document.getElementById('conversation')!;
    new MutationObserver(() => {
      const answers = conversation.querySelectorAll('.message.assistant');
      const last = answers[answers.length - 1];
      if (last?.getAttribute('aria-busy') !== 'true') return;
      const text = last.querySelector('.body')?.textContent ?? '';
      if (text !== '' && w.__renders[w.__renders.length - 1] !== text) w.__renders.push(text);
    }).observe(conversation, { childList: true, subtree: true, characterData: true });
  });
}

export async function renders(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __renders: string[] }).__renders);
}

/** Types a message and presses Enter (what a keyboard user does). */
export async function sendMessage(page: Page, text: string): Promise<void> {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByLabel('Message', { exact: true }).press('Enter');
}

/** Waits until the page's status line says the answer ended (complete, failed, stopped or refused). */
export async function waitForStatus(page: Page, status: RegExp = /Answer complete\./): Promise<string> {
  const handle = await page.waitForFunction(
    (source) => {
      const text = document.getElementById('status')?.textContent ?? '';
      return new RegExp(source).test(text) ? text : false;
    },
    status.source,
    { timeout: 60_000 },
  );
  return (await handle.jsonValue()) as string;
}

export function lastAnswer(page: Page) {
  return page.locator('.message.assistant').last();
}
