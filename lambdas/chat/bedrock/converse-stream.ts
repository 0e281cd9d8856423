/**
 * Generates an answer with Bedrock Runtime `ConverseStream` and hands each text delta on as it arrives.
 *
 * The system prompt goes into Converse's `system` field; the caller's text only into user messages.
 * Errors (from the HTTP response or from exception events inside the stream) are mapped to a
 * `ChatError` by {@link mapBedrockError}, and so is an abort by a {@link DeadlineExceededError} (504);
 * any other abort reason (the client went away) is rethrown untouched for the caller to handle.
 */
import {
  type ContentBlock,
  ConverseStreamCommand,
  type ConverseStreamCommandOutput,
  type GuardrailConverseContentQualifier,
  type Message,
} from '@aws-sdk/client-bedrock-runtime';
import { GUARD_QUALIFIERS, type GuardQualifier } from '../../../contract/guardrails';
import type { ChatError } from '../http/errors';
import type { ChatTurn } from '../prompt/turns';
import { IncompleteStreamError, type ModelTarget, mapBedrockError, settleFailure } from './errors';
import type { GuardrailSettings, ModelPrice } from './model-config';
import { UsageTally } from './usage-tally';

/** The one Bedrock operation the chat runtime needs (the real `BedrockRuntimeClient` satisfies it). */
export interface ConverseStreamClient {
  send(command: ConverseStreamCommand, options?: { abortSignal?: AbortSignal }): Promise<ConverseStreamCommandOutput>;
}

export interface GenerationInput {
  readonly target: ModelTarget;
  readonly systemPrompt: string;
  readonly history: readonly ChatTurn[];
  readonly message: string;
  /**
   * The last user turn as parts, some of them for the guardrail to read with qualifiers (`guardContent` blocks:
   * a grounding source, a query): sent instead of `message`. The guardrail then evaluates only `guardContent`, so the
   * caller's earlier user turns go as `guard_content` blocks too, to stay evaluated as before.
   */
  readonly guardedMessage?: readonly MessagePart[];
  readonly maxTokens: number;
  /** The model's prices, when known: the result then carries an estimated cost. */
  readonly price?: ModelPrice;
  /** The guardrail the call names (`guardrailConfig`), when the function has one. */
  readonly guardrail?: GuardrailSettings;
}

/** Text of a user turn: plain, or with qualifiers a `guardContent` block the guardrail reads. */
export interface MessagePart {
  readonly text: string;
  readonly qualifiers?: readonly GuardQualifier[];
}

export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly totalTokens: number;
  /** Input tokens read from the prompt cache (absent when none). */
  readonly cacheReadInputTokens?: number;
  /** Input tokens written to the prompt cache (absent when none). */
  readonly cacheWriteInputTokens?: number;
}

export interface GenerationResult {
  /** `end_turn`, `max_tokens`, `stop_sequence`, `guardrail_intervened`, `content_filtered`, … */
  readonly stopReason: string;
  readonly usage: TokenUsage;
  /** US dollars, from the usage and {@link GenerationInput.price}; undefined without a price. */
  readonly estimatedCostUsd?: number;
}

export function buildConverseCommand(input: GenerationInput): ConverseStreamCommand {
  const guarded = input.guardedMessage;
  const messages: Message[] = [
    ...input.history.map(
      (turn): Message => ({
        role: turn.role,
        content: [guarded && turn.role === 'user' ? guardBlock(turn.content, [GUARD_QUALIFIERS.guardContent]) : { text: turn.content }],
      }),
    ),
    {
      role: 'user',
      content: guarded
        ? guarded.map((part) => (part.qualifiers ? guardBlock(part.text, part.qualifiers) : { text: part.text }))
        : [{ text: input.message }],
    },
  ];
  return new ConverseStreamCommand({
    modelId: input.target.modelId,
    system: [{ text: input.systemPrompt }],
    messages,
    inferenceConfig: { maxTokens: input.maxTokens },
    ...(input.guardrail
      ? {
          guardrailConfig: {
            guardrailIdentifier: input.guardrail.identifier,
            guardrailVersion: input.guardrail.version,
            streamProcessingMode: input.guardrail.streamProcessingMode,
          },
        }
      : {}),
  });
}

function guardBlock(text: string, qualifiers: readonly GuardQualifier[]): ContentBlock {
  return { guardContent: { text: { text, qualifiers: qualifiers as GuardrailConverseContentQualifier[] } } };
}

/**
 * Streams one answer, handing each text delta to `onText`. `tally` follows the answer as it arrives (the request, the
 * deltas, the reported usage): when this throws, it holds what the answer used so far, for the budget (usage-tally.ts).
 */
export async function streamAnswer(
  client: ConverseStreamClient,
  input: GenerationInput,
  onText: (text: string) => void,
  signal: AbortSignal,
  tally: UsageTally = new UsageTally(),
): Promise<GenerationResult> {
  const mapError = (error: unknown): ChatError => mapBedrockError(error, input.target);
  let stopReason: string | undefined;
  let usage: TokenUsage | undefined;
  try {
    const command = buildConverseCommand(input);
    tally.request(command.input, input.price);
    const output = await client.send(command, { abortSignal: signal });
    for await (const event of output.stream ?? []) {
      if (signal.aborted) break;
      const text = event.contentBlockDelta?.delta?.text;
      if (text) {
        tally.delta(text);
        onText(text);
      } else if (event.messageStop) stopReason = event.messageStop.stopReason;
      else if (event.metadata?.usage) {
        usage = toUsage(event.metadata.usage);
        tally.report(usage);
      }
    }
  } catch (error) {
    throw settleFailure(error, signal, mapError);
  }
  if (signal.aborted) throw settleFailure(undefined, signal, mapError);
  if (stopReason === undefined || usage === undefined) {
    throw mapError(new IncompleteStreamError('The model stream ended before messageStop and metadata'));
  }
  return { stopReason, usage, ...(input.price ? { estimatedCostUsd: estimateCostUsd(input.price, usage) } : {}) };
}

function toUsage(usage: {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}): TokenUsage {
  const inputTokens = usage.inputTokens ?? 0;
  const outputTokens = usage.outputTokens ?? 0;
  return {
    inputTokens,
    outputTokens,
    totalTokens: usage.totalTokens ?? inputTokens + outputTokens,
    ...(usage.cacheReadInputTokens ? { cacheReadInputTokens: usage.cacheReadInputTokens } : {}),
    ...(usage.cacheWriteInputTokens ? { cacheWriteInputTokens: usage.cacheWriteInputTokens } : {}),
  };
}

/** The cost of `usage` at `price` (US dollars per million tokens; cache reads and writes at their own prices, else the input price). */
export function estimateCostUsd(price: ModelPrice, usage: TokenUsage): number {
  const cacheRead = usage.cacheReadInputTokens ?? 0;
  const cacheWrite = usage.cacheWriteInputTokens ?? 0;
  const dollars =
    usage.inputTokens * price.input +
    usage.outputTokens * price.output +
    cacheRead * (price.cacheRead ?? price.input) +
    cacheWrite * (price.cacheWrite ?? price.input);
  return dollars / 1_000_000;
}
