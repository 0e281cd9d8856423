import { interveneOn, requestedIntervention, validateGuardrailConfig } from '../../../tools/local/bedrock-emulator/guardrails';
import { tokenize } from '../../../tools/local/bedrock-emulator/validation';

describe('the emulator checks guardrailConfig as the service does', () => {
  test('accepts an id or ARN, a numeric or DRAFT version, sync or async (streaming only)', () => {
    expect(validateGuardrailConfig({ guardrailIdentifier: 'abc123', guardrailVersion: '1', streamProcessingMode: 'sync' }, true)).toBeUndefined();
    expect(
      validateGuardrailConfig({ guardrailIdentifier: 'arn:aws:bedrock:eu-west-1:123456789012:guardrail/abc123', guardrailVersion: 'DRAFT' }, false),
    ).toBeUndefined();
  });

  test.each([
    [{ guardrailIdentifier: 'Bad Id', guardrailVersion: '1' }, true, /guardrailIdentifier/],
    [{ guardrailIdentifier: 'abc123' }, true, /guardrailVersion/],
    [{ guardrailIdentifier: 'abc123', guardrailVersion: '0' }, true, /guardrailVersion/],
    [{ guardrailIdentifier: 'abc123', guardrailVersion: '1', streamProcessingMode: 'later' }, true, /streamProcessingMode/],
    [{ guardrailIdentifier: 'abc123', guardrailVersion: '1', streamProcessingMode: 'sync' }, false, /streamProcessingMode/],
  ])('refuses %j (streaming %s) with a ValidationException naming the field', (config, streaming, field) => {
    const error = validateGuardrailConfig(config, streaming);
    expect(error).toMatchObject({ status: 400, type: 'ValidationException' });
    expect(error?.message).toMatch(field);
  });

  test('intervenes only when the request has a guardrail and the message asks for it', () => {
    const config = { guardrailIdentifier: 'abc123', guardrailVersion: '1' };
    expect(requestedIntervention(config, 'x [[emulator:guardrail=input]]')).toBe('input');
    expect(requestedIntervention(undefined, 'x [[emulator:guardrail=input]]')).toBeUndefined();
    expect(requestedIntervention(config, 'x')).toBeUndefined();
    expect(interveneOn('output', tokenize('a b c d')).join('')).toBe('a b Sorry, the model cannot answer this question.');
  });
});
