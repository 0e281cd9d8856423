import { PassThrough } from 'node:stream';
import { METRIC_DIRECTIVES, METRICS, METRICS_NAMESPACE } from '../../../../contract/metrics';
import { createInvocationHandler } from '../../../../lambdas/chat/core/invocation';
import { embeddedMetrics, type MetricFacts, outcomeClass } from '../../../../lambdas/chat/core/metrics';
import { ChatError } from '../../../../lambdas/chat/http/errors';
import { emfProblems, publishedMetrics } from '../../../support/emf';
import { functionUrlEvent } from '../../../support/events';

const T = 1_790_000_000_000;

function line(facts: Partial<MetricFacts>): Record<string, unknown> {
  const all: MetricFacts = { outcome: 'ok', status: 200, latencyMs: 840, ...facts } as MetricFacts;
  return { level: 'info', event: 'chat_request', ...all, ...embeddedMetrics(all, 'support-chat', T) };
}

describe('embeddedMetrics', () => {
  test('a complete answer is a valid EMF document publishing traffic, latency, first token, tokens and cost per function and per model', () => {
    const document = line({
      model: 'haiku',
      timeToFirstTokenMs: 310,
      inputTokens: 120,
      outputTokens: 48,
      cacheReadInputTokens: 1000,
      estimatedCostUsd: 0.00042,
      stopReason: 'end_turn',
    });
    expect(emfProblems(document)).toEqual([]);
    const published = publishedMetrics([document]);
    const byFunction = Object.fromEntries(published.filter((m) => Object.keys(m.dimensions).join() === 'FunctionName').map((m) => [m.name, m.value]));
    expect(byFunction).toEqual({
      Requests: 1,
      Latency: 840,
      TimeToFirstToken: 310,
      InputTokens: 120,
      OutputTokens: 48,
      CacheReadInputTokens: 1000,
      EstimatedCost: 0.00042,
      RateLimited: 0,
      BudgetExhausted: 0,
      GuardrailInterventions: 0,
      UpstreamThrottles: 0,
      UpstreamErrors: 0,
      ServerErrors: 0,
    });
    expect(published.filter((m) => m.dimensions.Model === 'haiku').map((m) => m.name)).toEqual([
      'Requests',
      'TimeToFirstToken',
      'InputTokens',
      'OutputTokens',
      'CacheReadInputTokens',
      'EstimatedCost',
      'GuardrailInterventions',
    ]);
    expect(published.find((m) => m.dimensions.Outcome === 'ok')).toMatchObject({
      name: 'Requests',
      value: 1,
      dimensions: { FunctionName: 'support-chat' },
    });
    expect(published.find((m) => m.dimensions.OutcomeClass === 'ok')).toMatchObject({ name: 'Requests', value: 1 });
    expect(new Set(published.map((m) => m.namespace))).toEqual(new Set([METRICS_NAMESPACE]));
    expect((document._aws as { Timestamp: number }).Timestamp).toBe(T);
  });

  test('units are the contract’s: milliseconds for latencies, counts for tokens and flags, none for dollars', () => {
    const published = publishedMetrics([line({ model: 'haiku', timeToFirstTokenMs: 5, inputTokens: 1, outputTokens: 1, estimatedCostUsd: 1 })]);
    for (const metric of published) expect(metric.unit).toBe(Object.values(METRICS).find((m) => m.name === metric.name)!.unit);
    expect(published.find((m) => m.name === 'Latency')!.unit).toBe('Milliseconds');
    expect(published.find((m) => m.name === 'EstimatedCost')!.unit).toBe('None');
  });

  test('a request refused before a model was chosen publishes no Model dimension and no token metrics', () => {
    const document = line({ outcome: 'rate_limited', status: 429 });
    expect(emfProblems(document)).toEqual([]);
    const published = publishedMetrics([document]);
    expect(published.some((m) => 'Model' in m.dimensions)).toBe(false);
    expect(published.map((m) => m.name)).not.toContain('InputTokens');
    expect(published.find((m) => m.name === 'RateLimited' && Object.keys(m.dimensions).length === 1)!.value).toBe(1);
    expect(published.find((m) => m.dimensions.Outcome === 'rate_limited')).toBeDefined();
    expect(published.find((m) => m.dimensions.OutcomeClass === 'client_error')).toBeDefined();
  });

  test.each([
    ['throttled', 429, false, 'UpstreamThrottles', 'client_error'],
    ['upstream_error', 502, false, 'UpstreamErrors', 'server_error'],
    ['upstream_timeout', 504, true, 'UpstreamErrors', 'server_error'],
    ['model_access_denied', 403, false, 'UpstreamErrors', 'client_error'],
    ['retrieval_unavailable', 503, false, 'UpstreamErrors', 'server_error'],
    ['token_budget_exhausted', 429, false, 'BudgetExhausted', 'client_error'],
    ['guardrail_intervened', 200, true, 'GuardrailInterventions', 'client_error'],
    ['internal_error', 500, false, 'ServerErrors', 'server_error'],
  ])('outcome %s (status %d, mid-stream %s) counts %s and is a %s', (outcome, status, midStream, counted, klass) => {
    const document = line({ outcome, status, midStream });
    expect(emfProblems(document)).toEqual([]);
    expect(document[counted]).toBe(1);
    expect(document.OutcomeClass).toBe(klass);
    const others = ['RateLimited', 'BudgetExhausted', 'GuardrailInterventions', 'UpstreamThrottles', 'UpstreamErrors'].filter((n) => n !== counted);
    for (const other of others) expect(document[other]).toBe(0);
  });

  test('an answer a guardrail stopped counts as an intervention whatever its outcome code', () => {
    expect(line({ outcome: 'ok', stopReason: 'guardrail_intervened', model: 'haiku' }).GuardrailInterventions).toBe(1);
  });

  test('the outcome class: a client that left, a failure after the status was sent, a 5xx', () => {
    expect(outcomeClass('client_disconnected', 200, true)).toBe('client_disconnected');
    expect(outcomeClass('upstream_error', 200, true)).toBe('server_error');
    expect(outcomeClass('upstream_unavailable', 503, false)).toBe('server_error');
    expect(outcomeClass('invalid_json', 400, false)).toBe('client_error');
    expect(outcomeClass('ok', 200, undefined)).toBe('ok');
  });

  test('dimensions are only the function, the model alias, the outcome and its class: never a caller, key or chat id', () => {
    const document = line({ model: 'haiku', chatId: '0912f423-838a-4cbf-ac29-e4b7fa7258d5', callerKind: 'iam', inputTokens: 1 });
    const names = new Set(publishedMetrics([document]).flatMap((m) => Object.keys(m.dimensions)));
    expect([...names].sort()).toEqual(['FunctionName', 'Model', 'Outcome', 'OutcomeClass']);
    for (const directive of METRIC_DIRECTIVES) expect(directive.dimensions[0]).toBe('FunctionName');
  });

  test('a metric without a value is not declared (no declared metric lacks its member)', () => {
    const document = line({ model: 'haiku' });
    expect(emfProblems(document)).toEqual([]);
    expect(publishedMetrics([document]).map((m) => m.name)).not.toContain('TimeToFirstToken');
  });
});

describe('the summary line of every invocation', () => {
  test('is one EMF document on stdout, with the function name from the Lambda context', async () => {
    const lines: string[] = [];
    const handler = createInvocationHandler(
      'text',
      { logSink: { log: (l) => lines.push(l), error: (l) => lines.push(l) }, now: () => T },
      async ({ facts, response }) => {
        Object.assign(facts, { model: 'haiku', inputTokens: 3, outputTokens: 2 });
        response.text('hi');
        response.done({});
      },
    );
    const stream = new PassThrough().resume();
    await handler(functionUrlEvent({ body: { message: 'x' } }), stream, {
      awsRequestId: 'r-1',
      functionName: 'support-chat',
      getRemainingTimeInMillis: () => 30_000,
    });
    expect(lines).toHaveLength(1);
    const document = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(emfProblems(document)).toEqual([]);
    expect(document).toMatchObject({
      event: 'chat_request',
      FunctionName: 'support-chat',
      Model: 'haiku',
      Outcome: 'ok',
      Requests: 1,
      InputTokens: 3,
    });
  });

  test('a guardrail’s intervention after the first byte is logged at info, not as a failure', async () => {
    const info: string[] = [];
    const errors: string[] = [];
    const handler = createInvocationHandler('text', { logSink: { log: (l) => info.push(l), error: (l) => errors.push(l) } }, async ({ response }) => {
      response.text('Sorry.');
      throw new ChatError(400, 'guardrail_intervened', 'stopped');
    });
    const stream = new PassThrough().resume();
    await handler(functionUrlEvent({ body: { message: 'x' } }), stream, { awsRequestId: 'r-2', getRemainingTimeInMillis: () => 30_000 });
    expect(errors).toEqual([]);
    expect(JSON.parse(info[0]!)).toMatchObject({ outcome: 'guardrail_intervened', midStream: true, GuardrailInterventions: 1, ServerErrors: 0 });
  });
});

describe('where the summary line goes', () => {
  test('straight to stdout, not through console (which Lambda’s JSON log format would wrap as a string message)', async () => {
    const consoleLog = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const written: string[] = [];
    const stdout = jest
      .spyOn(process.stdout, 'write')
      .mockImplementation(((chunk: unknown) => written.push(String(chunk)) > 0) as typeof process.stdout.write);
    try {
      const handler = createInvocationHandler('text', {}, async ({ response }) => response.done({}));
      await handler(functionUrlEvent({ body: {} }), new PassThrough().resume(), { awsRequestId: 'r-3', getRemainingTimeInMillis: () => 30_000 });
    } finally {
      consoleLog.mockRestore();
      stdout.mockRestore();
    }
    expect(consoleLog).not.toHaveBeenCalled();
    expect(written).toHaveLength(1);
    expect(written[0]!.endsWith('}\n')).toBe(true);
    expect(emfProblems(JSON.parse(written[0]!) as Record<string, unknown>)).toEqual([]);
  });
});
