import { embeddedMetrics } from '../../../lambdas/chat/core/metrics';
import { describeEmf, echoMetrics } from '../../../tools/local/emf-printer';

const summary = JSON.stringify({
  level: 'info',
  event: 'chat_request',
  ...embeddedMetrics(
    { outcome: 'ok', status: 200, latencyMs: 412, model: 'haiku', timeToFirstTokenMs: 38, inputTokens: 21, outputTokens: 40 },
    'local-chat',
    1,
  ),
});

describe('npm run local prints the metrics of each summary line readably', () => {
  test('names the namespace, the function, each metric with its unit, and the per-model and per-outcome sets', () => {
    const text = describeEmf(summary)!;
    expect(text).toContain('metrics BedrockChat (FunctionName=local-chat): Requests 1, Latency 412 ms, TimeToFirstToken 38 ms, InputTokens 21');
    expect(text).toContain('per Model=haiku: Requests 1, TimeToFirstToken 38 ms, InputTokens 21, OutputTokens 40');
    expect(text).toContain('per Outcome=ok · per OutcomeClass=ok');
  });

  test('leaves other lines alone', () => {
    expect(describeEmf('{"level":"info","event":"other"}')).toBeUndefined();
    expect(describeEmf('[bedrock-emulator] ConverseStream')).toBeUndefined();
  });

  test('echoes the readable form after the line as it was written', () => {
    const written: string[] = [];
    const stream = { write: (chunk: unknown) => written.push(String(chunk)) > 0 } as unknown as NodeJS.WriteStream;
    const undo = echoMetrics(stream);
    stream.write(`${summary}\n`);
    stream.write('plain\n');
    undo();
    stream.write(`${summary}\n`);
    expect(written).toHaveLength(4);
    expect(written[0]).toBe(`${summary}\n`);
    expect(written[1]).toMatch(/^ {2}↳ metrics BedrockChat/);
    expect(written[2]).toBe('plain\n');
  });
});
