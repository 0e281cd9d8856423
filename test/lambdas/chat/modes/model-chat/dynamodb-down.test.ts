/**
 * RATE_LIMIT_FAIL_OPEN with DynamoDB unreachable: the real entry module's DynamoDB client pointed at a
 * port nothing listens on.
 */

import { type ChatStack, closedPort, postChat, startChatStack } from '../../../../support/local-services';
import { useLogCapture } from '../../../../support/log-capture';

const logs = useLogCapture();
let dynamoEndpoint: string;

beforeAll(async () => {
  dynamoEndpoint = `http://127.0.0.1:${await closedPort()}`;
});

function limiterLog(): Record<string, unknown> | undefined {
  return logs.json().find((line) => line.event === 'rate_limiter_unavailable');
}

describe('fail-open', () => {
  let stack: ChatStack;
  beforeAll(async () => {
    stack = await startChatStack({ failOpen: true, dynamoEndpoint, emulator: { tokenDelayMs: 2, answer: 'still answering' } });
  });
  afterAll(() => stack.close());

  test('answers, and logs the limiter failure', async () => {
    const response = await postChat(stack.url, { message: 'hi' });
    expect(response.status).toBe(200);
    expect(response.body).toBe('still answering');
    expect(limiterLog()).toMatchObject({ level: 'error', failOpen: true, errorMessage: expect.stringContaining('ECONNREFUSED') });
    expect(logs.json().find((line) => line.event === 'chat_request')).toMatchObject({ outcome: 'ok', rateLimitFailedOpen: true });
  });
});

describe('fail-closed', () => {
  let stack: ChatStack;
  beforeAll(async () => {
    stack = await startChatStack({ failOpen: false, dynamoEndpoint, emulator: { tokenDelayMs: 2, answer: 'never sent' } });
  });
  afterAll(() => stack.close());

  test('503 rate_limiter_unavailable, the model is not called, the failure is logged', async () => {
    const response = await postChat(stack.url, { message: 'hi' });
    expect(response.status).toBe(503);
    expect(response.json().error.code).toBe('rate_limiter_unavailable');
    expect(stack.emulator.requests).toHaveLength(0);
    expect(limiterLog()).toMatchObject({ level: 'error', failOpen: false });
  });
});
