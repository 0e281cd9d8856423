/**
 * The chat page against `npm run local -- --mode jwt`, in headless Chromium: sign-in through the local
 * stand-in of Cognito's managed login (authorization code + PKCE, the page's real code path), answers
 * streamed from the JWT chat with history, its real 401 and 429 answers. Each test signs in as its own
 * user, so each has its own rate-limit count (the limit is keyed by the token's subject).
 */
import type { Browser, Page } from 'playwright-core';
import type { BedrockEmulator } from '../../tools/local/bedrock-emulator';
import {
  type LocalCli,
  lastAnswer,
  launchBrowser,
  renders,
  screenshot,
  sendMessage,
  startLocal,
  startTestEmulator,
  waitForStatus,
  watchAnswer,
} from './support';

const RATE_LIMIT = 3;
let browser: Browser;
let emulator: BedrockEmulator;
let local: LocalCli;

beforeAll(async () => {
  [browser, emulator] = await Promise.all([launchBrowser(), startTestEmulator()]);
  local = await startLocal(['--mode', 'jwt', '--rate-limit', String(RATE_LIMIT)], { AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emulator.url });
});

afterAll(async () => {
  await local?.stop();
  await Promise.all([browser?.close(), emulator?.close()]);
});

async function signedIn(user: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  const page = await context.newPage();
  await page.goto(local.url);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/oauth2\/authorize\?/);
  const authorize = new URL(page.url());
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authorize.searchParams.get('redirect_uri')).toBe(local.url);
  await page.getByLabel('User name').fill(user);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForFunction((who) => document.getElementById('who')?.textContent === `Signed in as ${who}@example.com`, user);
  return page;
}

describe('npm run local (JWT mode) serves the chat page', () => {
  test('sign-in with PKCE leaves no code in the address bar, no token in storage; the answer streams and the chat continues', async () => {
    const page = await signedIn('alice');
    expect(page.url()).toBe(local.url);
    const stored = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie }));
    expect(stored).toEqual({ local: 0, session: 0, cookie: '' });
    const bodies: string[] = [];
    page.on('request', (request) => {
      if (request.url() === `${local.url}chat`) bodies.push(request.postData() ?? '');
    });
    await watchAnswer(page);
    await sendMessage(page, 'Show me the demo');
    await waitForStatus(page);
    expect(new Set(await renders(page)).size).toBeGreaterThanOrEqual(2);
    await expect(lastAnswer(page).locator('h4').innerText()).resolves.toBe('Deploying a stage');
    await screenshot(page, 'jwt');
    await sendMessage(page, 'And then?');
    await waitForStatus(page);
    const [first, second] = bodies.map((body) => JSON.parse(body) as { prompt: string; chat_id?: string });
    expect(first).toEqual({ prompt: 'Show me the demo', model: 'haiku' });
    expect(second).toEqual({ prompt: 'And then?', chat_id: expect.stringMatching(/^[0-9a-f-]{36}$/), model: 'haiku' });
    await page.context().close();
  });

  test('the rate limit (429 rate_limited, real) shows its message with the wait', async () => {
    const page = await signedIn('busy');
    let status = '';
    // The limit counts per minute: a window that turns over mid-loop gets one more round, never more.
    for (let i = 0; i < 2 * (RATE_LIMIT + 1) && !/not answered/.test(status); i++) {
      await sendMessage(page, `Question ${i + 1}`);
      status = await waitForStatus(page, /Answer complete\.|not answered/);
    }
    expect(status).toMatch(/not answered/);
    await expect(page.getByRole('alert').innerText()).resolves.toMatch(
      /You have sent too many messages in a short time\.\s+Wait a minute, then send again\. \(You can send again in \d+ s\.\)/,
    );
    await page.context().close();
  });

  test('a bad token (the real 401 token_invalid) shows its message and asks to sign in again', async () => {
    const page = await signedIn('mallory');
    // The token is replaced in flight: the page holds it in memory only, out of the test's reach.
    await page.route(`${local.url}chat`, (route) =>
      route.continue({ headers: { ...route.request().headers(), authorization: 'Bearer not.a-valid.token' } }),
    );
    await sendMessage(page, 'Hello?');
    await waitForStatus(page, /not answered/);
    await expect(page.getByRole('alert').innerText()).resolves.toMatch(/Your sign-in was not accepted\.[\s\S]*code token_invalid, HTTP 401/);
    await expect(page.getByRole('button', { name: 'Sign in' }).isVisible()).resolves.toBe(true);
    await page.context().close();
  });

  test('without signing in, sending explains what to do', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(local.url);
    await sendMessage(page, 'Hello?');
    await waitForStatus(page, /not answered/);
    await expect(page.getByRole('alert').innerText()).resolves.toMatch(/You are not signed in\.\s+Sign in, then send your message again\./);
    await context.close();
  });
});
