/**
 * Guardrails in Converse and ConverseStream, as far as a client can tell: `guardrailConfig` is checked as the
 * service checks it, and an intervention is asked for per request with a marker in the last user message,
 * `[[emulator:guardrail=input]]` or `[[emulator:guardrail=output]]`. Without `guardrailConfig` there is no
 * guardrail, so a marker changes nothing (a test can prove the config reached Bedrock).
 *
 * What the service does (Amazon Bedrock User Guide, "Use a guardrail with the Converse API", "Guardrails in
 * streaming"): a blocked input is answered with the guardrail's blocked-input message instead of the model's text;
 * a blocked output stops the answer with the blocked-output message (`sync`: the blocked chunk never leaves,
 * `async`: chunks already sent stay sent); either way the stop reason is `guardrail_intervened`.
 */
import { tokenize, validationError } from './validation';

/** The messages a guardrail created with the console's defaults answers with. */
export const BLOCKED_INPUT_MESSAGE = 'Sorry, the model cannot answer this question.';
export const BLOCKED_OUTPUT_MESSAGE = 'Sorry, the model cannot answer this question.';

export type GuardrailIntervention = 'input' | 'output';

export interface GuardrailConfig {
  guardrailIdentifier?: unknown;
  guardrailVersion?: unknown;
  trace?: unknown;
  streamProcessingMode?: unknown;
}

const IDENTIFIER = /^(([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail\/[a-z0-9]+))$/;
const VERSION = /^(([1-9][0-9]{0,7})|(DRAFT))$/;
const MARKER = /\[\[emulator:guardrail=(input|output)\]\]/;

/** The service's validation of `guardrailConfig` (API reference: GuardrailConfiguration, GuardrailStreamConfiguration). */
export function validateGuardrailConfig(config: GuardrailConfig | undefined, streaming: boolean) {
  if (config === undefined) return undefined;
  if (typeof config.guardrailIdentifier !== 'string' || !IDENTIFIER.test(config.guardrailIdentifier)) {
    return validationError(
      `1 validation error detected: Value '${String(config.guardrailIdentifier)}' at 'guardrailConfig.guardrailIdentifier' failed to satisfy constraint: Member must satisfy regular expression pattern: ${IDENTIFIER.source}`,
    );
  }
  if (typeof config.guardrailVersion !== 'string' || !VERSION.test(config.guardrailVersion)) {
    return validationError(
      `1 validation error detected: Value '${String(config.guardrailVersion)}' at 'guardrailConfig.guardrailVersion' failed to satisfy constraint: Member must satisfy regular expression pattern: ${VERSION.source}`,
    );
  }
  if (config.trace !== undefined && !['enabled', 'disabled', 'enabled_full'].includes(config.trace as string)) {
    return validationError(
      `1 validation error detected: Value '${String(config.trace)}' at 'guardrailConfig.trace' failed to satisfy constraint: Member must satisfy enum value set: [enabled, disabled, enabled_full]`,
    );
  }
  if (config.streamProcessingMode !== undefined && (!streaming || !['sync', 'async'].includes(config.streamProcessingMode as string))) {
    return validationError(
      `1 validation error detected: Value '${String(config.streamProcessingMode)}' at 'guardrailConfig.streamProcessingMode' failed to satisfy constraint: Member must satisfy enum value set: [sync, async]`,
    );
  }
  return undefined;
}

/** The intervention the message asks for, when the request has a guardrail. */
export function requestedIntervention(config: GuardrailConfig | undefined, userText: string): GuardrailIntervention | undefined {
  if (config === undefined) return undefined;
  return MARKER.exec(userText)?.[1] as GuardrailIntervention | undefined;
}

/**
 * The tokens sent when the guardrail intervenes on `tokens` (the model's answer): the blocked-input message
 * alone, or the first half of the answer (what passed) followed by the blocked-output message.
 */
export function interveneOn(intervention: GuardrailIntervention, tokens: readonly string[]): string[] {
  if (intervention === 'input') return tokenize(BLOCKED_INPUT_MESSAGE);
  return [...tokens.slice(0, Math.floor(tokens.length / 2)), ...tokenize(BLOCKED_OUTPUT_MESSAGE)];
}

export function isGuardrailMarker(text: string): boolean {
  return MARKER.test(text);
}
