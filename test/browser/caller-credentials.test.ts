/**
 * The chat page's caller-credentials mode, in headless Chromium, against a LOCAL FAKE of that backend
 * (caller-credentials-fake.ts): the runtime does not have it yet, so these tests prove the page's side
 * (the form's values stay in the tab's memory, the request shape, the error messages), not the backend's.
 */
import type { Browser, Page } from 'playwright-core';
import { type CallerCredentialsFake, startCallerCredentialsFake } from './caller-credentials-fake';
import { lastAnswer, launchBrowser, renders, screenshot, sendMessage, waitForStatus, watchAnswer } from './support';

const KEY = 'AKIAMEMORYONLY000001';
const SECRET = 'memory/only/secret/value/0001';
const TOKEN = 'memory-only-session-token-0001';

let browser: Browser;
let fake: CallerCredentialsFake;

beforeAll(async () => {
  [browser, fake] = await Promise.all([launchBrowser(), startCallerCredentialsFake()]);
});

afterAll(async () => {
  await Promise.all([browser?.close(), fake?.close()]);
});

async function withCredentials(accessKeyId: string, viewport = { width: 1100, height: 760 }): Promise<Page> {
  const page = await (await browser.newContext({ viewport })).newPage();
  await page.goto(fake.url);
  await page.getByLabel('Access key id').fill(accessKeyId);
  await page.getByLabel('Secret access key').fill(SECRET);
  await page.getByLabel('Session token (optional)').fill(TOKEN);
  await page.getByLabel('Region').selectOption('eu-west-1');
  await page.getByRole('button', { name: 'Use these credentials' }).click();
  return page;
}

/** Everything a browser could persist or leak for this origin. */
async function persisted(page: Page): Promise<string> {
  const state = await page.context().storageState();
  const inPage = await page.evaluate(async () => ({
    url: location.href,
    history: history.length,
    local: JSON.stringify({ ...localStorage }),
    session: JSON.stringify({ ...sessionStorage }),
    cookie: document.cookie,
    indexedDb: (await indexedDB.databases()).map((db) => db.name),
    caches: await caches.keys(),
  }));
  return JSON.stringify({ state, inPage });
}

describe('caller-credentials mode (against a local fake backend: the caller-credentials runtime is not built yet)', () => {
  test('the typed credentials stay in memory only: sent in the body, never stored, never in the URL, gone on reload', async () => {
    const page = await withCredentials(KEY);
    await watchAnswer(page);
    await sendMessage(page, 'Who signs this?');
    await waitForStatus(page);
    expect(new Set(await renders(page)).size).toBeGreaterThanOrEqual(2);
    await expect(lastAnswer(page).innerText()).resolves.toContain('An answer signed for eu-west-1');
    const sent = fake.requests.at(-1)!;
    expect(JSON.parse(sent.body)).toEqual({
      message: 'Who signs this?',
      history: [],
      model: 'haiku',
      awsCredentials: { accessKeyId: KEY, secretAccessKey: SECRET, sessionToken: TOKEN, region: 'eu-west-1' },
    });
    expect(sent.headers.cookie).toBeUndefined();
    const stored = await persisted(page);
    for (const secret of [SECRET, TOKEN, KEY]) expect(stored).not.toContain(secret);
    // Once used, the secret fields are emptied: only the module's memory holds them (the key id stays visible).
    await expect(page.evaluate(() => Array.from(document.querySelectorAll('input')).map((input) => input.value))).resolves.toEqual([KEY, '', '']);
    await screenshot(page, 'caller-credentials');
    await page.reload();
    await expect(page.locator('#credentials-summary').innerText()).resolves.toBe('not set');
    await expect(page.evaluate(() => Array.from(document.querySelectorAll('input')).map((input) => input.value))).resolves.toEqual(['', '', '']);
    await sendMessage(page, 'Still signed?');
    await waitForStatus(page, /not answered/);
    await expect(page.getByRole('alert').innerText()).resolves.toMatch(/This chat needs your AWS credentials\./);
    await page.context().close();
  });

  test('credentials AWS refuses show their message (simulated by the fake: invalid_credentials)', async () => {
    const page = await withCredentials('AKIAINVALID000000001');
    await sendMessage(page, 'Hello');
    await waitForStatus(page, /not answered/);
    await expect(page.getByRole('alert').innerText()).resolves.toMatch(/AWS did not accept the credentials you entered\.\s+Check the access key id/);
    await page.context().close();
  });

  test('a guardrail intervention mid-answer shows its message (simulated by the fake: guardrails are not built yet)', async () => {
    const page = await withCredentials(KEY);
    await sendMessage(page, 'Trip the guardrail please');
    await waitForStatus(page, /The answer failed\./);
    await expect(lastAnswer(page).innerText()).resolves.toMatch(/stopped by the chat's content safety rules/);
    await expect(page.getByRole('alert').innerText()).resolves.toMatch(/Rephrase your question/);
    await page.context().close();
  });
});
