/**
 * One Converse answer for the completions API, read from `ConverseStream` event by event: text deltas, tool calls
 * (their start and argument fragments) and, at the end, the stop reason and usage. Streaming and non-streaming
 * requests both use `ConverseStream` (the non-streaming answer is collected), so the function needs one Bedrock
 * action, `bedrock:InvokeModelWithResponseStream`, like every other chat function.
 */
import { ConverseStreamCommand, type ConverseStreamCommandInput } from '@aws-sdk/client-bedrock-runtime';
import type { ConverseStreamClient } from '../../bedrock/converse-stream';
import { IncompleteStreamError, type ModelTarget, mapBedrockError, settleFailure } from '../../bedrock/errors';
import type { GuardrailSettings } from '../../bedrock/model-config';
import type { UsageTally } from '../../bedrock/usage-tally';
import type { ChatError } from '../../http/errors';
import type { CompletionRequest } from './openai-request';
import { ParameterError } from './openai-request';
import type { BedrockUsage } from './openai-response';

/** What the answer's events are handed to, as they arrive. */
export interface AnswerSink {
  text(text: string): void;
  toolStart(blockIndex: number, id: string, name: string): void;
  toolArguments(blockIndex: number, fragment: string): void;
}

export interface AnswerEnd {
  readonly stopReason: string;
  readonly usage: BedrockUsage;
}

export function converseInput(
  target: ModelTarget,
  request: CompletionRequest,
  systemPrompt: string | undefined,
  guardrail?: GuardrailSettings,
): ConverseStreamCommandInput {
  return {
    modelId: target.modelId,
    system: [...(systemPrompt ? [{ text: systemPrompt }] : []), ...request.system],
    messages: request.messages,
    inferenceConfig: {
      maxTokens: request.maxTokens,
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(request.topP !== undefined ? { topP: request.topP } : {}),
      ...(request.stopSequences ? { stopSequences: request.stopSequences } : {}),
    },
    ...(request.tools ? { toolConfig: { tools: request.tools, ...(request.toolChoice ? { toolChoice: request.toolChoice } : {}) } } : {}),
    ...(guardrail
      ? {
          guardrailConfig: {
            guardrailIdentifier: guardrail.identifier,
            guardrailVersion: guardrail.version,
            streamProcessingMode: guardrail.streamProcessingMode,
          },
        }
      : {}),
    ...(request.jsonSchema ? { outputConfig: { textFormat: { type: 'json_schema', structure: { jsonSchema: request.jsonSchema } } } } : {}),
  };
}

/**
 * Streams one answer into `sink`; throws the mapped error. `tally` follows the answer (the request, its deltas, the
 * reported usage): after a failure it holds what the answer used so far, for the budget (bedrock/usage-tally.ts).
 */
export async function generate(
  client: ConverseStreamClient,
  target: ModelTarget,
  input: ConverseStreamCommandInput,
  sink: AnswerSink,
  signal: AbortSignal,
  tally: UsageTally,
): Promise<AnswerEnd> {
  const mapError = (error: unknown): ChatError => mapCompletionError(error, target, input);
  let stopReason: string | undefined;
  let usage: BedrockUsage | undefined;
  try {
    const output = await client.send(new ConverseStreamCommand(input), { abortSignal: signal });
    for await (const event of output.stream ?? []) {
      if (signal.aborted) break;
      const start = event.contentBlockStart;
      const delta = event.contentBlockDelta;
      if (start?.start?.toolUse) {
        sink.toolStart(start.contentBlockIndex ?? 0, start.start.toolUse.toolUseId ?? '', start.start.toolUse.name ?? '');
      } else if (delta?.delta?.text !== undefined) {
        tally.delta(delta.delta.text);
        sink.text(delta.delta.text);
      } else if (delta?.delta?.toolUse?.input !== undefined) {
        tally.delta(delta.delta.toolUse.input);
        sink.toolArguments(delta.contentBlockIndex ?? 0, delta.delta.toolUse.input);
      } else if (event.messageStop) {
        stopReason = event.messageStop.stopReason;
      } else if (event.metadata?.usage) {
        const u = event.metadata.usage;
        usage = {
          inputTokens: u.inputTokens ?? 0,
          outputTokens: u.outputTokens ?? 0,
          totalTokens: u.totalTokens,
          cacheReadInputTokens: u.cacheReadInputTokens,
          cacheWriteInputTokens: u.cacheWriteInputTokens,
        };
        tally.report({ ...usage, totalTokens: u.totalTokens ?? usage.inputTokens + usage.outputTokens });
      }
    }
  } catch (error) {
    throw settleFailure(error, signal, mapError);
  }
  if (signal.aborted) throw settleFailure(undefined, signal, mapError);
  if (stopReason === undefined || usage === undefined) {
    throw mapError(new IncompleteStreamError('The model stream ended before messageStop and metadata'));
  }
  return { stopReason, usage };
}

/** Bedrock's errors as for every chat function, except a refused structured-output request, which names `response_format`. */
function mapCompletionError(error: unknown, target: ModelTarget, input: ConverseStreamCommandInput): ChatError {
  const name = (error as Error | undefined)?.name ?? '';
  const message = (error as Error | undefined)?.message ?? '';
  if (input.outputConfig && /^validationException$/i.test(name) && /structured output|outputConfig|textFormat/i.test(message)) {
    return new ParameterError(
      'response_format_unsupported',
      `The model "${target.alias}" does not support response_format (structured output): remove it or choose another model.`,
      'response_format',
    );
  }
  return mapBedrockError(error, target);
}
