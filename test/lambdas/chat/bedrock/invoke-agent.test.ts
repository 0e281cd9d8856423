/**
 * InvokeAgent details the emulator cannot produce. The emulator sends whole words per chunk, so a chunk
 * boundary inside a multi-byte character needs a fake client (said in the test name); the error mapping
 * of network failures is checked on plain errors.
 */
import type { InvokeAgentCommandOutput } from '@aws-sdk/client-bedrock-agent-runtime';
import { DeadlineExceededError } from '../../../../lambdas/chat/bedrock/errors';
import { type InvokeAgentClient, mapAgentError, streamAgentAnswer } from '../../../../lambdas/chat/bedrock/invoke-agent';

const target = { agentId: 'AGENT12345', agentAliasId: 'TSTALIASID', region: 'eu-west-1' };

function fakeClient(chunks: Uint8Array[]): InvokeAgentClient {
  return {
    send: async () =>
      ({
        completion: (async function* () {
          for (const bytes of chunks) yield { chunk: { bytes } };
        })(),
        contentType: 'application/json',
        sessionId: 's',
        $metadata: {},
      }) as unknown as InvokeAgentCommandOutput,
  };
}

test('(fake client) a chunk boundary inside a multi-byte character: decoded whole, never U+FFFD', async () => {
  const bytes = Buffer.from('Köln 🌍 日本', 'utf8');
  // Cut inside ö (2 bytes), inside 🌍 (4 bytes) and inside 日 (3 bytes).
  const cuts = [2, 8, 10, 14, bytes.length];
  const chunks = cuts.map((end, i) => new Uint8Array(bytes.subarray(i === 0 ? 0 : cuts[i - 1], end)));
  const deltas: string[] = [];
  await streamAgentAnswer(fakeClient(chunks), { target, sessionId: 's', inputText: 'hi' }, (text) => deltas.push(text), new AbortController().signal);
  expect(deltas.join('')).toBe('Köln 🌍 日本');
  expect(deltas.join('')).not.toContain('\uFFFD');
  expect(deltas.length).toBeGreaterThan(1);
});

test.each([
  ['connect ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }), 503, 'upstream_unavailable'],
  ['an SDK timeout', Object.assign(new Error('Request timed out'), { name: 'TimeoutError' }), 504, 'upstream_timeout'],
  ['our deadline', new DeadlineExceededError('late'), 504, 'upstream_timeout'],
  [
    'an unmodelled service error',
    Object.assign(new Error('teapot'), { name: 'WeirdException', $metadata: { httpStatusCode: 418 } }),
    502,
    'upstream_error',
  ],
  ['a bug', new TypeError('x is not a function'), 500, 'internal_error'],
])('%s → %i %s', (_what, error, status, code) => {
  expect(mapAgentError(error, target)).toMatchObject({ status, code });
});
