/**
 * The contextual grounding check of a guardrail, as far as a client can tell. A guardrail the emulator is told about
 * (`guardrails` option: thresholds per guardrail id) scores each answer of a call that carries qualified
 * `guardContent` blocks, a grounding source (`grounding_source`) and a query (`query`), and blocks it when either
 * score is below its threshold: the answer then stops with the blocked-output message and `guardrail_intervened`,
 * as any output intervention (guardrails.ts). Without both, or for a guardrail without contextual grounding, nothing
 * is checked (as the service does).
 *
 * The scores are deterministic, so a test can predict them (the service uses a model; only the shape is the same):
 * - grounding: the share of the answer's distinct words that occur in the grounding source;
 * - relevance: the share of the query's distinct words that occur in the answer;
 * where a word is a run of letters or digits of at least 3 characters, lower-cased. No words to score: 1.
 * With `guardrailConfig.trace` `enabled` the response carries the scores as the service's trace does
 * (`trace.guardrail.outputAssessments[<identifier>][].contextualGroundingPolicy.filters`).
 */
import { GUARD_QUALIFIERS, type GuardQualifier } from '../../../contract/guardrails';
import type { ServiceError } from './faults';
import type { ConverseRequestBody } from './types';
import { validationError } from './validation';

/** What the emulator knows of a guardrail beyond its id: its contextual grounding thresholds. */
export interface EmulatorGuardrail {
  contextualGrounding?: { groundingThreshold: number; relevanceThreshold: number };
}

export interface GroundingFilterAssessment {
  type: 'GROUNDING' | 'RELEVANCE';
  threshold: number;
  score: number;
  action: 'BLOCKED' | 'NONE';
}

/** The outcome of one contextual grounding check. */
export interface GroundingAssessment {
  filters: GroundingFilterAssessment[];
  blocked: boolean;
}

const QUALIFIERS = Object.values(GUARD_QUALIFIERS) as string[];

type Block = Record<string, unknown>;

function textBlockOf(block: Block): { text?: unknown; qualifiers?: unknown } | undefined {
  const guard = block.guardContent as Block | undefined;
  const text = guard && typeof guard === 'object' ? (guard.text as Block | undefined) : undefined;
  return text && typeof text === 'object' ? text : undefined;
}

/** Every `guardContent` text block of the messages, in order, with its qualifiers. */
function guardBlocks(body: ConverseRequestBody): Array<{ text: string; qualifiers: string[] }> {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  return messages.flatMap((message) =>
    (Array.isArray(message?.content) ? message.content : []).flatMap((block) => {
      const text = block && typeof block === 'object' ? textBlockOf(block) : undefined;
      if (!text || typeof text.text !== 'string') return [];
      return [{ text: text.text, qualifiers: Array.isArray(text.qualifiers) ? text.qualifiers.map(String) : [] }];
    }),
  );
}

/** The text of the `guardContent` blocks with this qualifier, joined (the service combines them). */
export function qualifiedText(body: ConverseRequestBody, qualifier: GuardQualifier): string {
  return guardBlocks(body)
    .filter((b) => b.qualifiers.includes(qualifier))
    .map((b) => b.text)
    .join('\n');
}

/** The service's validation of `guardContent` text blocks: a text, and qualifiers from the enum. */
export function validateGuardContent(body: ConverseRequestBody): ServiceError | undefined {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (const [index, message] of messages.entries()) {
    for (const [blockIndex, block] of (Array.isArray(message?.content) ? message.content : []).entries()) {
      if (!block || typeof block !== 'object' || block.guardContent === undefined) continue;
      const at = `messages.${index + 1}.member.content.${blockIndex + 1}.member.guardContent.text`;
      const text = textBlockOf(block);
      if (!text || typeof text.text !== 'string') {
        return validationError(`1 validation error detected: Value null at '${at}.text' failed to satisfy constraint: Member must not be null`);
      }
      const qualifiers = text.qualifiers;
      if (qualifiers !== undefined && (!Array.isArray(qualifiers) || qualifiers.some((q) => !QUALIFIERS.includes(q as string)))) {
        return validationError(
          `1 validation error detected: Value '${JSON.stringify(qualifiers)}' at '${at}.qualifiers' failed to satisfy constraint: Member must satisfy enum value set: [${QUALIFIERS.join(', ')}]`,
        );
      }
    }
  }
  return undefined;
}

function words(text: string): Set<string> {
  return new Set((text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length >= 3));
}

/** The share of `part`'s words found in `whole`, to two decimals (1 when `part` has none). */
function share(part: Set<string>, whole: Set<string>): number {
  if (part.size === 0) return 1;
  let found = 0;
  for (const word of part) if (whole.has(word)) found++;
  return Math.round((found / part.size) * 100) / 100;
}

/** The guardrail the identifier names (an id or an ARN), or the `'*'` entry. */
export function guardrailOf(guardrails: Readonly<Record<string, EmulatorGuardrail>> | undefined, identifier: unknown): EmulatorGuardrail | undefined {
  if (!guardrails || typeof identifier !== 'string') return undefined;
  const id = identifier.includes('guardrail/') ? identifier.slice(identifier.lastIndexOf('/') + 1) : identifier;
  return guardrails[identifier] ?? guardrails[id] ?? guardrails['*'];
}

/** The contextual grounding check of `answer`, when the guardrail has one and the request carries a source and a query. */
export function assessGrounding(
  guardrail: EmulatorGuardrail | undefined,
  body: ConverseRequestBody,
  answer: string,
): GroundingAssessment | undefined {
  const thresholds = guardrail?.contextualGrounding;
  if (!thresholds) return undefined;
  const source = qualifiedText(body, GUARD_QUALIFIERS.groundingSource);
  const query = qualifiedText(body, GUARD_QUALIFIERS.query);
  if (source === '' || query === '') return undefined;
  const answerWords = words(answer);
  const filter = (type: GroundingFilterAssessment['type'], threshold: number, score: number): GroundingFilterAssessment => ({
    type,
    threshold,
    score,
    action: score < threshold ? 'BLOCKED' : 'NONE',
  });
  const filters = [
    filter('GROUNDING', thresholds.groundingThreshold, share(answerWords, words(source))),
    filter('RELEVANCE', thresholds.relevanceThreshold, share(words(query), answerWords)),
  ];
  return { filters, blocked: filters.some((f) => f.action === 'BLOCKED') };
}

/** The response's `trace` for an assessment, as the service shapes it (only when `guardrailConfig.trace` asks). */
export function groundingTrace(body: ConverseRequestBody, assessment: GroundingAssessment | undefined): Record<string, unknown> | undefined {
  const trace = body.guardrailConfig?.trace;
  if (!assessment || (trace !== 'enabled' && trace !== 'enabled_full')) return undefined;
  const identifier = String(body.guardrailConfig?.guardrailIdentifier);
  return { guardrail: { outputAssessments: { [identifier]: [{ contextualGroundingPolicy: { filters: assessment.filters } }] } } };
}
