/**
 * The pure mapping between OpenAI's Chat Completions shapes and Converse: requests, chunks, finish reasons, usage
 * and errors; and the budget arithmetic.
 */
import { costNanoUsd, secondsToNextUtcDay, totalTokens } from '../../../../../lambdas/chat/budgets/budget';
import { ChatError } from '../../../../../lambdas/chat/http/errors';
import { ParameterError, parseCompletionRequest } from '../../../../../lambdas/chat/modes/completions/openai-request';
import { ChunkWriter, finishReason, OPENAI_ERRORS, openAiUsage } from '../../../../../lambdas/chat/modes/completions/openai-response';

const user = (content: unknown) => ({ role: 'user', content });
const parse = (body: Record<string, unknown>) => parseCompletionRequest({ model: 'haiku', messages: [user('hi')], ...body }, 1000);

function refusal(body: Record<string, unknown>): ParameterError {
  try {
    parse(body);
  } catch (error) {
    return error as ParameterError;
  }
  throw new Error('expected a refusal');
}

describe('requests', () => {
  test('system and developer messages go to system; consecutive user and tool turns merge; roles alternate', () => {
    const request = parse({
      messages: [
        { role: 'system', content: 'Be brief.' },
        user('one'),
        user([{ type: 'text', text: 'two' }]),
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'result' },
        { role: 'developer', content: 'Use metric units.' },
        user('three'),
      ],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
    });
    expect(request.system).toEqual([{ text: 'Be brief.' }, { text: 'Use metric units.' }]);
    expect(request.messages).toEqual([
      { role: 'user', content: [{ text: 'one' }, { text: 'two' }] },
      { role: 'assistant', content: [{ toolUse: { toolUseId: 'c1', name: 'f', input: { a: 1 } } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: 'c1', content: [{ text: 'result' }] } }, { text: 'three' }] },
    ]);
  });

  test('parameters: max_completion_tokens capped, temperature, top_p, stop, tool_choice, response_format', () => {
    const tools = [{ type: 'function', function: { name: 'f' } }];
    expect(parse({ max_completion_tokens: 5000 }).maxTokens).toBe(1000);
    expect(parse({ max_tokens: 20 }).maxTokens).toBe(20);
    expect(parse({ temperature: 0.2, top_p: 0.9, stop: 'END' })).toMatchObject({ temperature: 0.2, topP: 0.9, stopSequences: ['END'] });
    expect(parse({ tools, tool_choice: 'required' }).toolChoice).toEqual({ any: {} });
    expect(parse({ tools, tool_choice: 'auto' }).toolChoice).toEqual({ auto: {} });
    expect(parse({ tools, tool_choice: { type: 'function', function: { name: 'f' } } }).toolChoice).toEqual({ tool: { name: 'f' } });
    expect(parse({ tools, tool_choice: 'none' }).tools).toBeUndefined();
    expect(parse({ response_format: { type: 'json_object' } }).jsonSchema).toEqual({ schema: '{"type":"object"}' });
    expect(parse({ response_format: { type: 'json_schema', json_schema: { name: 'p', schema: { type: 'object' } } } }).jsonSchema).toEqual({
      name: 'p',
      schema: '{"type":"object"}',
    });
    expect(parse({ stream: true, stream_options: { include_usage: true } })).toMatchObject({ stream: true, includeUsage: true });
    // Unknown extra fields are ignored, as OpenAI does.
    expect(() => parse({ user: 'u-1', metadata: { a: 'b' }, some_future_field: 1 })).not.toThrow();
  });

  test.each([
    [{ n: 2 }, 'n', 'unsupported_parameter'],
    [{ logprobs: true }, 'logprobs', 'unsupported_parameter'],
    [{ presence_penalty: 0.5 }, 'presence_penalty', 'unsupported_parameter'],
    [{ seed: 7 }, 'seed', 'unsupported_parameter'],
    [{ temperature: 1.5 }, 'temperature', 'invalid_parameter'],
    [{ stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop', 'invalid_parameter'],
    [{ tool_choice: 'auto' }, 'tool_choice', 'invalid_parameter'],
    [{ response_format: { type: 'xml' } }, 'response_format', 'invalid_parameter'],
    [{ messages: [{ role: 'assistant', content: 'hi' }] }, 'messages', 'invalid_parameter'],
    [
      { messages: [user([{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }])] },
      'messages[0].content[0].image_url.url',
      'image_url_not_supported',
    ],
    [{ messages: [user([{ type: 'input_audio', input_audio: {} }])] }, 'messages[0].content[0]', 'unsupported_parameter'],
  ])('%j is refused naming %s', (body, param, code) => {
    const error = refusal(body);
    expect(error).toBeInstanceOf(ParameterError);
    expect(error.status).toBe(400);
    expect(error.param).toBe(param);
    expect(error.code).toBe(code);
  });

  test('neutral values of unsupported parameters pass (n: 1, logprobs: false)', () => {
    expect(() => parse({ n: 1, logprobs: false, presence_penalty: 0 })).not.toThrow();
  });

  test('a data URL becomes an image block with the decoded bytes; jpg is jpeg', () => {
    const request = parse({ messages: [user([{ type: 'image_url', image_url: { url: 'data:image/jpg;base64,AAEC' } }])] });
    expect(request.messages[0]?.content?.[0]).toEqual({ image: { format: 'jpeg', source: { bytes: Buffer.from([0, 1, 2]) } } });
    expect(request.imageCount).toBe(1);
  });
});

describe('responses', () => {
  test.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    ['guardrail_intervened', 'content_filter'],
    ['content_filtered', 'content_filter'],
  ])('stop reason %s is finish_reason %s', (stop, finish) => expect(finishReason(stop)).toBe(finish));

  test('usage counts cached tokens in prompt_tokens and reports them as cached_tokens', () => {
    expect(openAiUsage({ inputTokens: 10, outputTokens: 5, cacheReadInputTokens: 100, cacheWriteInputTokens: 20 })).toEqual({
      prompt_tokens: 130,
      completion_tokens: 5,
      total_tokens: 135,
      prompt_tokens_details: { cached_tokens: 100 },
    });
  });

  test('chunks: the role first, text, tool calls by index with argument fragments, finish, usage, [DONE]', () => {
    const writer = new ChunkWriter({ id: 'chatcmpl-1', created: 1, model: 'haiku' }, true);
    const text = writer.text('Hi') + writer.toolStart(1, 'tooluse_1', 'f') + writer.toolArguments(1, '{"a"') + writer.toolArguments(1, ':1}');
    const end = writer.finish('tool_use', { inputTokens: 3, outputTokens: 4 });
    const events = (text + end)
      .split('\n\n')
      .filter(Boolean)
      .map((line) => line.replace(/^data: /, ''));
    expect(events[events.length - 1]).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks.map((c) => c.choices[0]?.delta)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Hi' },
      { tool_calls: [{ index: 0, id: 'tooluse_1', type: 'function', function: { name: 'f', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"a"' } }] },
      { tool_calls: [{ index: 0, function: { arguments: ':1}' } }] },
      {},
      undefined,
    ]);
    expect(chunks[5].choices[0].finish_reason).toBe('tool_calls');
    expect(chunks[6]).toMatchObject({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } });
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === 'chatcmpl-1')).toBe(true);
  });

  test('errors in OpenAI’s shape, before and after the first byte', () => {
    const budget = new ChatError(429, 'cost_budget_exhausted', 'Spent.');
    expect(JSON.parse(OPENAI_ERRORS.body(budget))).toEqual({
      error: { message: 'Spent.', type: 'insufficient_quota', param: null, code: 'cost_budget_exhausted' },
    });
    expect(OPENAI_ERRORS.inBand(new ChatError(502, 'upstream_error', 'Failed.'))).toBe(
      'data: {"error":{"message":"Failed.","type":"server_error","param":null,"code":"upstream_error"}}\n\n',
    );
    expect(JSON.parse(OPENAI_ERRORS.body(new ParameterError('unsupported_parameter', 'No.', 'n'))).error).toMatchObject({
      type: 'invalid_request_error',
      param: 'n',
    });
  });
});

describe('budget arithmetic', () => {
  test('tokens of every kind count; cost in whole nano-dollars, each kind at its price', () => {
    const usage = { inputTokens: 1000, outputTokens: 500, cacheReadInputTokens: 2000, cacheWriteInputTokens: 100 };
    expect(totalTokens(usage)).toBe(3600);
    // 1000 × $3 + 500 × $15 + 2000 × $0.30 + 100 × $3.75 per million = $0.011475
    expect(costNanoUsd(usage, { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 })).toBe(11_475_000);
    expect(costNanoUsd(usage, undefined)).toBe(0);
  });

  test('Retry-After runs to the next UTC midnight', () => {
    expect(secondsToNextUtcDay(Date.UTC(2026, 11, 2, 23, 59, 30))).toBe(30);
    expect(secondsToNextUtcDay(Date.UTC(2026, 11, 2, 0, 0, 0))).toBe(86_400);
  });
});
