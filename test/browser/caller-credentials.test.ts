/**
 * The chat page's caller-credentials mode, in headless Chromium, against `npm run local -- --mode caller-credentials
 * --guardrail`: the IAM chat calling Bedrock with the credentials each request carries. The CLI's own emulator verifies
 * every signature and accepts only the local caller key its banner prints, so an answer proves the page sent the typed
 * credentials and the function signed with them; any other key is refused as AWS refuses it.
 */
import type { Browser, Page } from 'playwright-core';
import { type LocalCli, lastAnswer, launchBrowser, renders, screenshot, sendMessage, startLocal, waitForStatus, watchAnswer } from './support';

const REGION = 'eu-west-1';

let browser: Browser;
let local: LocalCli;
let key: string;
let secret: string;

beforeAll(async () => {
  [browser, local] = await Promise.all([launchBrowser(), startLocal(['--mode', 'caller-credentials', '--guardrail', '--region', REGION])]);
  const accepted = /the emulator accepts only (\S+) \/ (\S+):/.exec(local.output);
  if (!accepted) throw new Error(`the banner names no local caller key:\n${local.output}`);
  [, key, secret] = accepted as unknown as [string, string, string];
}, 60_000);

afterAll(async () => {
  await Promise.all([browser?.close(), local?.stop()]);
});

async function withCredentials(accessKeyId: string, secretAccessKey: string, viewport = { width: 1100, height: 760 }): Promise<Page> {
  const page = await (await browser.newContext({ viewport })).newPage();
  await page.goto(local.url);
  await page.getByLabel('Access key id').fill(accessKeyId);
  await page.getByLabel('Secret access key').fill(secretAccessKey);
  await page.getByLabel('Region').selectOption(REGION);
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

describe('caller-credentials mode (npm run local -- --mode caller-credentials --guardrail)', () => {
  test('the typed credentials answer, stay in memory only (never stored, never in the URL) and are gone on reload', async () => {
    const page = await withCredentials(key, secret);
    await watchAnswer(page);
    await sendMessage(page, 'Who signs this?');
    await waitForStatus(page);
    expect(new Set(await renders(page)).size).toBeGreaterThanOrEqual(2);
    expect((await lastAnswer(page).innerText()).length).toBeGreaterThan(0);
    const stored = await persisted(page);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(key);
    // Once used, the secret fields are emptied: only the module's memory holds them (the key id stays visible).
    await expect(page.evaluate(() => Array.from(document.querySelectorAll('input')).map((input) => input.value))).resolves.toEqual([key, '', '']);
    await screenshot(page, 'caller-credentials');
    await page.reload();
    await expect(page.locator('#credentials-summary').innerText()).resolves.toBe('not set');
    await sendMessage(page, 'Still signed?');
    await waitForStatus(page, /not answered/);
    await expect(page.getByRole('alert').innerText()).resolves.toMatch(/This chat needs your AWS credentials\./);
    // Nothing the page sent reached the local server's log after its banner (which prints the local key itself).
    const logged = local.output.slice(local.output.indexOf('"chat_request"'));
    expect(logged).toContain('"outcome":"ok"');
    expect(logged).not.toContain(secret);
    expect(logged).not.toContain(key);
    await page.context().close();
  });

  test('credentials AWS refuses show their message (the emulator refuses an unknown key as AWS does)', async () => {
    const page = await withCredentials('AKIAUNKNOWNCALLER001', 'not/the/secret/of/any/known/key/000001');
    await sendMessage(page, 'Hello');
    await waitForStatus(page, /not answered/);
    await expect(page.getByRole('alert').innerText()).resolves.toMatch(/AWS did not accept the credentials you entered\.\s+Check the access key id/);
    await page.context().close();
  });

  test('a guardrail intervention shows its message (the emulator intervenes on the marked answer)', async () => {
    const page = await withCredentials(key, secret);
    await sendMessage(page, 'Trip the guardrail please [[emulator:guardrail=output]]');
    await waitForStatus(page, /The answer failed\.|not answered/);
    await expect(page.getByRole('alert').innerText()).resolves.toMatch(/Rephrase your question/);
    await page.context().close();
  });
});
