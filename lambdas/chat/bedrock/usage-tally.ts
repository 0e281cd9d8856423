/**
 * What one answer has used so far, for the usage budgets (budgets/budget.ts). Every runtime that streams an answer
 * from `ConverseStream` (model chat, guest RAG, stored-model chat, completions) keeps one per answer.
 *
 * - An answer that ends counts the usage Bedrock reported in the stream's `metadata` event.
 * - An answer that fails after its stream began (an exception event, a dropped connection, the deadline, the client
 *   leaving, the stored chat's answer size limit) counts what Bedrock had reported if its `metadata` event arrived;
 *   else an estimate, {@link CHARS_PER_TOKEN} characters a token: the request's text (system prompt, messages,
 *   tool definitions and calls; images are not estimated) for the input, and the deltas received for the output, at
 *   least one token a delta.
 * - A failure before the first delta (a refused request, throttling, a stream that fails at once) counts nothing:
 *   the model produced nothing, and the caller got a plain error.
 */
import type { ConverseStreamCommandInput } from '@aws-sdk/client-bedrock-runtime';
import type { TokenUsage } from './converse-stream';
import type { ModelPrice } from './model-config';

/** The estimate's rate, when Bedrock reported no usage: about four characters a token for English text. */
export const CHARS_PER_TOKEN = 4;

/** An answer's usage so far; `estimated` when Bedrock had not reported it. */
export interface UsageSoFar {
  readonly usage: TokenUsage;
  readonly estimated: boolean;
}

export class UsageTally {
  private inputChars = 0;
  private outputChars = 0;
  private deltas = 0;
  private reported: TokenUsage | undefined;
  private modelPrice: ModelPrice | undefined;

  /** The request sent to `ConverseStream` (its text is the input estimate) and its model's prices, when known. */
  request(input: Pick<ConverseStreamCommandInput, 'system' | 'messages' | 'toolConfig'>, price: ModelPrice | undefined): void {
    this.inputChars = textLength(input.system) + textLength(input.messages) + textLength(input.toolConfig);
    this.modelPrice = price;
  }

  /** The prices of the answer's model (the cost of what it used), when known. */
  get price(): ModelPrice | undefined {
    return this.modelPrice;
  }

  /** A delta received (text or a tool call's argument fragment). */
  delta(text: string): void {
    this.deltas++;
    this.outputChars += text.length;
  }

  /** The usage of the stream's `metadata` event. */
  report(usage: TokenUsage): void {
    this.reported = usage;
  }

  /** The reported usage; else, once the stream began, the estimate; else undefined (nothing to count). */
  soFar(): UsageSoFar | undefined {
    if (this.reported) return { usage: this.reported, estimated: false };
    if (this.deltas === 0) return undefined;
    const inputTokens = Math.ceil(this.inputChars / CHARS_PER_TOKEN);
    const outputTokens = Math.max(this.deltas, Math.ceil(this.outputChars / CHARS_PER_TOKEN));
    return { usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens }, estimated: true };
  }
}

/** The characters of every string in a request part (text, tool names, schemas and arguments); byte arrays (images) count nothing. */
function textLength(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return 0;
  let total = 0;
  for (const item of Array.isArray(value) ? value : Object.values(value)) total += textLength(item);
  return total;
}
