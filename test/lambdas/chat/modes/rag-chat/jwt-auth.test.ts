/**
 * The rag-chat mode with `CHAT_AUTH_MODE=jwt` (auth is a building block of every mode): the REAL entry module
 * behind a Function URL with auth NONE, tokens from a local issuer. No token: refused before the rate limit,
 * the knowledge base or the model; a valid token: retrieval and answer as with IAM auth.
 */
import { type LocalJwtIssuer, startLocalJwtIssuer } from '../../../../../tools/local/jwt-issuer';
import { parseSse, postChat } from '../../../../support/local-services';
import { useLogCapture } from '../../../../support/log-capture';
import { type RagStack, startRagChatStack } from '../../../../support/rag-services';

useLogCapture();
let issuer: LocalJwtIssuer;
let stack: RagStack;

beforeAll(async () => {
  issuer = await startLocalJwtIssuer();
  stack = await startRagChatStack({ jwtIssuer: issuer, emulator: { tokenDelayMs: 1, answer: 'Weekdays, nine to five.' } });
});

afterAll(async () => {
  await stack.close();
  await issuer.close();
});

beforeEach(() => stack.emulator.reset());

test('no token → 401 token_missing; nothing retrieved or generated', async () => {
  const response = await postChat(stack.url, { message: 'When is support open?' });
  expect(response.status).toBe(401);
  expect(response.json().error.code).toBe('token_missing');
  expect(response.headers['www-authenticate']).toBe('Bearer realm="chat"');
  expect(stack.emulator.requests).toEqual([]);
});

test('a valid token → Retrieve, then the answer with its sources', async () => {
  const token = await issuer.sign({ sub: 'grace' });
  const response = await postChat(
    stack.url,
    { message: 'When is support open?' },
    { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } },
  );
  expect(response.status).toBe(200);
  expect(stack.emulator.requests.map((r) => r.operation)).toEqual(['Retrieve', 'ConverseStream']);
  expect(parseSse(response.body).at(-1)).toMatchObject({ event: 'done', data: { stopReason: 'end_turn', fallback: false } });
});
