/**
 * The chat page against `npm run local -- --mode rag` (the guest RAG chat), in headless Chromium: the page
 * gets guest credentials from the CLI's Cognito Identity + STS stand-in (cross-origin, as from the real
 * services), signs with SigV4 through the typed client, streams the answer and lists its sources.
 * Bedrock Runtime and Agent Runtime are the test's emulator, through the preset AWS_ENDPOINT_URL_* variables.
 */
import type { Browser } from 'playwright-core';
import type { BedrockEmulator } from '../../tools/local/bedrock-emulator';
import { closedPort } from '../support/local-services';
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
let local: LocalCli;

beforeAll(async () => {
  [browser, emulator] = await Promise.all([launchBrowser(), startTestEmulator()]);
  emulator.setPassages('*', [
    { text: 'Support is open 9:00 to 17:00 CET on weekdays.', score: 0.91, uri: 's3://company-docs/support.md' },
    { text: 'Refunds are processed within 14 days.', score: 0.62, uri: 's3://company-docs/refunds.md' },
  ]);
  local = await startLocal(['--mode', 'rag', '--identity-port', String(await closedPort())], {
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emulator.url,
    AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME: emulator.url,
  });
});

afterAll(async () => {
  await local?.stop();
  await Promise.all([browser?.close(), emulator?.close()]);
});

describe('npm run local (guest RAG mode) serves the chat page', () => {
  test('a guest gets credentials, the answer streams progressively and its sources are listed', async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    const page = await context.newPage();
    const identityCalls: string[] = [];
    const chatRequests: Record<string, string>[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url() === local.url) chatRequests.push(request.headers());
      const target = request.headers()['x-amz-target'];
      if (request.method() === 'POST' && (target || /AssumeRoleWithWebIdentity/.test(request.postData() ?? '')))
        identityCalls.push(target ?? 'AssumeRoleWithWebIdentity');
    });
    await page.goto(local.url);
    await watchAnswer(page);
    await sendMessage(page, 'When is support open? Show me the demo');
    await waitForStatus(page);
    expect(new Set(await renders(page)).size).toBeGreaterThanOrEqual(2);
    expect(identityCalls).toEqual(['AWSCognitoIdentityService.GetId', 'AWSCognitoIdentityService.GetOpenIdToken', 'AssumeRoleWithWebIdentity']);
    const sources = lastAnswer(page).locator('.sources li');
    await expect(sources.allInnerTexts()).resolves.toEqual(['support.md relevance 91%', 'refunds.md relevance 62%']);
    // The chat request was signed (SigV4, service lambda) with the guest's temporary credentials.
    expect(chatRequests[0]).toMatchObject({
      authorization: expect.stringMatching(
        /^AWS4-HMAC-SHA256 Credential=ASIALOCALFAKE\w+\/\d{8}\/us-east-1\/lambda\/aws4_request, SignedHeaders=.*x-amz-content-sha256.*x-amz-security-token/,
      ),
      'x-amz-security-token': expect.stringMatching(/^LOCAL-FAKE-SESSION-TOKEN-/),
      'x-amz-content-sha256': expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const retrieve = emulator.requests.find((r: { operation: string }) => r.operation === 'Retrieve');
    expect(retrieve?.body.retrievalQuery?.text).toContain('When is support open?');
    await screenshot(page, 'rag');
    // A second question reuses the cached guest credentials.
    await sendMessage(page, 'And refunds?');
    await waitForStatus(page);
    expect(identityCalls).toHaveLength(3);
    await context.close();
  });

  test('a knowledge base the chat may not read (an emulator fault) shows its message', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(local.url);
    await sendMessage(page, 'Anything [[emulator:fault=accessDenied]]');
    await waitForStatus(page, /not answered/);
    await expect(page.getByRole('alert').innerText()).resolves.toMatch(
      /The chat may not read its documents\.[\s\S]*code knowledge_base_access_denied, HTTP 403/,
    );
    await context.close();
  });
});

describe('npm run local (guest RAG mode) with AWS_ENDPOINT_URL_STS preset', () => {
  test('configures the page for that STS endpoint and names it in the CSP (the Cognito Identity stand-in still starts)', async () => {
    const sts = 'http://127.0.0.1:9/';
    const preset = await startLocal(['--mode', 'rag', '--identity-port', String(await closedPort())], {
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emulator.url,
      AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME: emulator.url,
      AWS_ENDPOINT_URL_STS: sts,
    });
    try {
      const response = await fetch(`${preset.url}config.json`);
      const config = (await response.json()) as { backends: Array<{ stsEndpoint: string; cognitoIdentityEndpoint: string }> };
      expect(config.backends[0]!.stsEndpoint).toBe(sts);
      expect(config.backends[0]!.cognitoIdentityEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(response.headers.get('content-security-policy')).toMatch(/connect-src 'self' http:\/\/127\.0\.0\.1:\d+ http:\/\/127\.0\.0\.1:9;/);
      expect(preset.output).toMatch(/\(preset: http:\/\/127\.0\.0\.1:9\/\)/);
    } finally {
      await preset.stop();
    }
  });
});
