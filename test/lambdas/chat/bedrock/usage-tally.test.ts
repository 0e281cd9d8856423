/**
 * What an answer used so far, for the budgets: the reported usage, else the estimate (four characters a token, at
 * least one token a delta), and nothing before the first delta.
 */
import { UsageTally } from '../../../../lambdas/chat/bedrock/usage-tally';

const PRICE = { input: 1, output: 5 };

test('before the first delta nothing was used', () => {
  const tally = new UsageTally();
  tally.request({ system: [{ text: 'x'.repeat(400) }], messages: [] }, PRICE);
  expect(tally.soFar()).toBeUndefined();
});

test("the estimate: the request's text and the deltas at four characters a token, rounded up", () => {
  const tally = new UsageTally();
  tally.request(
    {
      system: [{ text: 'Be concise' }],
      messages: [
        { role: 'user', content: [{ text: 'What is 2 + 2, please?' }, { image: { format: 'png', source: { bytes: new Uint8Array(5000) } } }] },
        { role: 'assistant', content: [{ text: 'Fo' }] },
      ],
    },
    PRICE,
  );
  tally.delta('Four, ');
  tally.delta('of course.'); // 16 characters: 4 tokens
  const soFar = tally.soFar();
  expect(soFar?.estimated).toBe(true);
  // Every string of the request counts (roles and the image format too), the image's bytes do not.
  const input = 'Be concise'.length + 'user'.length + 'What is 2 + 2, please?'.length + 'png'.length + 'assistant'.length + 'Fo'.length;
  expect(soFar?.usage).toEqual({ inputTokens: Math.ceil(input / 4), outputTokens: 4, totalTokens: Math.ceil(input / 4) + 4 });
  expect(tally.price).toBe(PRICE);
});

test('at least one token a delta', () => {
  const tally = new UsageTally();
  tally.request({ messages: [] }, undefined);
  for (const delta of ['a', 'b', 'c']) tally.delta(delta);
  expect(tally.soFar()?.usage).toEqual({ inputTokens: 0, outputTokens: 3, totalTokens: 3 });
});

test('tool definitions and tool calls are text too', () => {
  const tally = new UsageTally();
  tally.request(
    {
      messages: [{ role: 'assistant', content: [{ toolUse: { toolUseId: 'id1', name: 'get', input: { city: 'Oslo' } } }] }],
      toolConfig: { tools: [{ toolSpec: { name: 'get', inputSchema: { json: { type: 'object' } } } }] },
    },
    undefined,
  );
  tally.delta('{"city":');
  // assistant + id1 + get + Oslo + get + object = 9 + 3 + 3 + 4 + 3 + 6 = 28 characters: 7 tokens.
  expect(tally.soFar()?.usage).toMatchObject({ inputTokens: 7, outputTokens: 2 });
});

test('the usage Bedrock reported wins over the estimate', () => {
  const tally = new UsageTally();
  tally.request({ messages: [{ role: 'user', content: [{ text: 'x'.repeat(1000) }] }] }, undefined);
  tally.delta('partial');
  tally.report({ inputTokens: 11, outputTokens: 22, totalTokens: 33, cacheReadInputTokens: 5 });
  expect(tally.soFar()).toEqual({ usage: { inputTokens: 11, outputTokens: 22, totalTokens: 33, cacheReadInputTokens: 5 }, estimated: false });
});
