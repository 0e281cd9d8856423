/**
 * The chat page against `npm run local` (IAM mode), in headless Chromium. The CLI is started with
 * AWS_ENDPOINT_URL_BEDROCK_RUNTIME and AWS_ENDPOINT_URL_DYNAMODB preset to an emulator and a dynalite this
 * test owns, so it starts neither itself; the page signs each request with credentials typed into its form.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { BedrockEmulator } from '../../tools/local/bedrock-emulator';
import { type Dynalite, startDynalite } from '../../tools/local/dynamo';
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

let browser: Browser;
let emulator: BedrockEmulator;
let dynalite: Dynalite;
let local: LocalCli;

beforeAll(async () => {
  [browser, emulator, dynalite] = await Promise.all([launchBrowser(), startTestEmulator(), startDynalite()]);
  local = await startLocal([], { AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emulator.url, AWS_ENDPOINT_URL_DYNAMODB: dynalite.url });
});

afterAll(async () => {
  await local?.stop();
  await Promise.all([browser?.close(), emulator?.close(), dynalite?.close()]);
});

async function openPage(
  options: { bypassCSP?: boolean; viewport?: { width: number; height: number } } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1100, height: 760 }, bypassCSP: options.bypassCSP ?? false });
  const page = await context.newPage();
  await page.goto(local.url);
  await page.getByLabel('Access key id').fill('AKIALOCALEXAMPLE0001');
  await page.getByLabel('Secret access key').fill('local/example/secret');
  await page.getByRole('button', { name: 'Use these credentials' }).click();
  return { context, page };
}

describe('npm run local (IAM mode) serves the chat page', () => {
  test('uses the preset Bedrock and DynamoDB endpoints instead of starting its own', () => {
    expect(local.output).toContain(`AWS_ENDPOINT_URL_BEDROCK_RUNTIME=${emulator.url}`);
    expect(local.output).toMatch(/DynamoDB:\s+your endpoint \(AWS_ENDPOINT_URL_DYNAMODB\)/);
    expect(local.output).not.toMatch(/EMULATOR at/);
  });

  test('at its root, with the CSP and headers the distribution sends; Trusted Types refuse HTML strings', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(local.url);
    const headers = response!.headers();
    expect(headers['content-security-policy']).toMatch(/connect-src 'self';.*frame-ancestors 'none'.*require-trusted-types-for 'script'/);
    expect(headers['x-frame-options']).toBe('DENY');
    const refused = await page.evaluate(() => {
      try {
        document.body.insertAdjacentHTML('beforeend', '<b>x</b>');
        return 'accepted';
      } catch (error) {
        return (error as Error).name;
      }
    });
    expect(refused).toBe('TypeError');
    await context.close();
  });

  test('an answer appears progressively: several partial renders before it ends, then Markdown', async () => {
    const { context, page } = await openPage();
    await watchAnswer(page);
    await sendMessage(page, 'Show me the demo');
    await waitForStatus(page);
    const partial = await renders(page);
    const final = await lastAnswer(page).locator('.body').innerText();
    expect(new Set(partial.filter((text) => text !== final.replace(/\n/g, ''))).size).toBeGreaterThanOrEqual(2);
    await expect(lastAnswer(page).locator('h4').innerText()).resolves.toBe('Deploying a stage');
    await expect(lastAnswer(page).locator('ol li').count()).resolves.toBe(3);
    await expect(lastAnswer(page).locator('pre code').innerText()).resolves.toContain("npx cdk deploy 'dev/*'");
    const link = lastAnswer(page).locator('a');
    await expect(link.getAttribute('href')).resolves.toBe('https://docs.aws.amazon.com/cdk/v2/guide/home.html');
    await expect(link.getAttribute('rel')).resolves.toBe('noopener noreferrer');
    // The request went to the test's emulator, signed with the typed key (SigV4 by the page).
    expect(emulator.requests.length).toBeGreaterThan(0);
    await screenshot(page, 'iam');
    await context.close();
  });

  test('hostile Markdown and HTML render inert: no script runs even with the CSP bypassed', async () => {
    const { context, page } = await openPage({ bypassCSP: true });
    await sendMessage(page, 'Send the hostile answer');
    await waitForStatus(page);
    const answer = lastAnswer(page);
    await expect(answer.innerText()).resolves.toContain('<script>window.__pwned = "script"</script>');
    const inert = await page.evaluate(() => {
      const root = document.querySelector('.message.assistant:last-of-type')!;
      const all = Array.from(root.querySelectorAll('*'));
      return {
        flag: (window as unknown as { __pwned?: unknown }).__pwned ?? null,
        dangerous: all.filter((el) => /^(script|img|iframe|svg|object|embed|b)$/i.test(el.tagName)).map((el) => el.tagName),
        handlers: all.filter((el) => Array.from(el.attributes).some((a) => /^on/i.test(a.name))).length,
        hrefs: Array.from(root.querySelectorAll('a')).map((a) => [a.getAttribute('href'), a.getAttribute('rel'), a.getAttribute('target')]),
      };
    });
    expect(inert).toEqual({
      flag: null,
      dangerous: [],
      handlers: 0,
      // Only the http(s) links became links (the image is offered as a link, never loaded).
      hrefs: [
        ['https://tracker.example/p.gif', 'noopener noreferrer', '_blank'],
        ['https://docs.aws.amazon.com/cdk/', 'noopener noreferrer', '_blank'],
      ],
    });
    // The javascript: "link" is plain text: clicking it does nothing.
    await answer.getByText('click me').click();
    await page.getByText('raw link').first().click();
    await page.waitForTimeout(200);
    await expect(page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned ?? null)).resolves.toBeNull();
    await context.close();
  });

  test('stop aborts mid-answer and the page stays usable', async () => {
    const { context, page } = await openPage();
    await sendMessage(page, 'Please give a long answer');
    await page.waitForFunction(() => (document.querySelector('.message.assistant .body')?.textContent ?? '').length > 20);
    await page.getByRole('button', { name: 'Stop' }).click();
    await waitForStatus(page, /Stopped\./);
    const stoppedText = await lastAnswer(page).locator('.body').innerText();
    expect(stoppedText).not.toContain('Sentence 120');
    await expect(lastAnswer(page).locator('.note').innerText()).resolves.toBe('Stopped.');
    await expect(page.getByRole('button', { name: 'Stop' }).isDisabled()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Send' }).isEnabled()).resolves.toBe(true);
    await page.waitForTimeout(300);
    expect(await lastAnswer(page).locator('.body').innerText()).toBe(stoppedText);
    await sendMessage(page, 'Still there?');
    await waitForStatus(page);
    await expect(lastAnswer(page).innerText()).resolves.toContain('short answer from the test emulator');
    await context.close();
  });

  test('Bedrock throttling (an emulator fault) shows its message and what to do', async () => {
    const { context, page } = await openPage();
    await sendMessage(page, 'Busy? [[emulator:fault=throttling]]');
    await waitForStatus(page, /not answered/);
    const alert = page.getByRole('alert');
    await expect(alert.innerText()).resolves.toMatch(/The model is busy right now\.\s+Try again in a moment\./);
    await expect(alert.innerText()).resolves.toContain('code throttled, HTTP 429');
    await context.close();
  });

  test('works with the keyboard alone: labelled controls, focus order, Enter to send, Escape to stop', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(local.url);
    await page.waitForFunction(() => document.activeElement?.id === 'message');
    // Every control is labelled.
    const unlabelled = await page.evaluate(() =>
      Array.from(document.querySelectorAll('input, select, textarea'))
        .filter((el) => !(el as HTMLElement).hidden && (el as HTMLInputElement).labels?.length === 0)
        .map((el) => el.id),
    );
    expect(unlabelled).toEqual([]);
    // Focus order from the top of the page (the skip link is its first stop).
    await page.focus('a.skip');
    const order: string[] = [];
    for (let i = 0; i < 11; i++) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName.toLowerCase() || ''));
    }
    // The model picker, new chat, the credentials (summary, fields, buttons), the conversation, the composer; Stop is disabled while idle.
    expect(order).toEqual([
      'model',
      'new-chat',
      'summary',
      'access-key-id',
      'secret-access-key',
      'session-token',
      'use-credentials',
      'forget-credentials',
      'conversation',
      'message',
      'send',
    ]);
    // The skip link leads straight to the message box.
    await page.focus('a.skip');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('send');
    // Enter the credentials and a message with keys only.
    await page.focus('#access-key-id');
    await page.keyboard.type('AKIALOCALKEYBOARD001');
    await page.keyboard.press('Tab');
    await page.keyboard.type('keyboard/secret');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.id === 'message');
    await page.keyboard.type('First line');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('please give a long answer');
    await expect(page.inputValue('#message')).resolves.toBe('First line\nplease give a long answer');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (document.querySelector('.message.assistant .body')?.textContent ?? '').length > 10);
    await page.keyboard.press('Escape');
    await waitForStatus(page, /Stopped\./);
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('message');
    // The answer is announced politely from a live region.
    await expect(page.getAttribute('#conversation', 'aria-live')).resolves.toBe('polite');
    await context.close();
  });

  test('fits a phone-sized viewport: no sideways scrolling, everything reachable', async () => {
    const { context, page } = await openPage({ viewport: { width: 390, height: 844 } });
    await sendMessage(page, 'Show me the demo on a phone');
    await waitForStatus(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await expect(page.getByRole('button', { name: 'Send' }).isVisible()).resolves.toBe(true);
    await screenshot(page, 'iam-phone');
    await context.close();
  });
});
