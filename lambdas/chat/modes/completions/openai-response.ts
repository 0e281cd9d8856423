/**
 * Bedrock's answer in OpenAI's shapes: the `chat.completion` object, the `chat.completion.chunk` stream
 * (`data: {…}` lines, then `data: [DONE]`), finish reasons, usage, and errors (`{ "error": { message, type, param, code } }`,
 * before the first byte with OpenAI's status, after it as a `data: {"error": …}` event that ends the stream).
 */

import type { ErrorDialect } from '../../core/chat-response';
import type { ChatError } from '../../http/errors';

/** Usage as Bedrock reports it (ConverseStream `metadata.usage`). */
export interface BedrockUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly totalTokens?: number;
  readonly cacheReadInputTokens?: number;
  readonly cacheWriteInputTokens?: number;
}

export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}

export interface OpenAiToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** Converse `stopReason` → OpenAI `finish_reason`. */
export function finishReason(stopReason: string): 'stop' | 'length' | 'tool_calls' | 'content_filter' {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/** OpenAI counts cached prompt tokens inside `prompt_tokens`; Bedrock reports them apart from `inputTokens`. */
export function openAiUsage(usage: BedrockUsage): OpenAiUsage {
  const cacheRead = usage.cacheReadInputTokens ?? 0;
  const prompt = usage.inputTokens + cacheRead + (usage.cacheWriteInputTokens ?? 0);
  return {
    prompt_tokens: prompt,
    completion_tokens: usage.outputTokens,
    total_tokens: prompt + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: cacheRead },
  };
}

export interface CompletionIdentity {
  /** `chatcmpl-…` */
  readonly id: string;
  /** Epoch seconds. */
  readonly created: number;
  /** The model as the caller named it. */
  readonly model: string;
}

export interface CompletedAnswer {
  readonly text: string;
  readonly toolCalls: readonly OpenAiToolCall[];
  readonly stopReason: string;
  readonly usage: BedrockUsage;
}

/** The non-streaming `chat.completion` object. */
export function completionObject(identity: CompletionIdentity, answer: CompletedAnswer): Record<string, unknown> {
  return {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: identity.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: answer.text === '' && answer.toolCalls.length > 0 ? null : answer.text,
          refusal: null,
          ...(answer.toolCalls.length > 0 ? { tool_calls: answer.toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: finishReason(answer.stopReason),
      },
    ],
    usage: openAiUsage(answer.usage),
    system_fingerprint: null,
  };
}

/** One SSE `data:` line. */
export function dataLine(payload: unknown): string {
  return `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`;
}

export const DONE_LINE = dataLine('[DONE]');

/**
 * Builds the `chat.completion.chunk` events of one answer from Converse stream facts. Each method returns the
 * `data:` text to write (possibly empty). Tool calls are numbered in the order they start (`tool_calls[i].index`),
 * their arguments streamed as the fragments Bedrock sends.
 */
export class ChunkWriter {
  private started = false;
  private readonly toolIndexByBlock = new Map<number, number>();

  constructor(
    private readonly identity: CompletionIdentity,
    private readonly includeUsage: boolean,
  ) {}

  /** The first chunk: the assistant role. */
  start(): string {
    if (this.started) return '';
    this.started = true;
    return this.chunk({ role: 'assistant', content: '' }, null);
  }

  text(text: string): string {
    return text === '' ? '' : this.start() + this.chunk({ content: text }, null);
  }

  toolStart(blockIndex: number, id: string, name: string): string {
    const index = this.toolIndexByBlock.size;
    this.toolIndexByBlock.set(blockIndex, index);
    return this.start() + this.chunk({ tool_calls: [{ index, id, type: 'function', function: { name, arguments: '' } }] }, null);
  }

  toolArguments(blockIndex: number, fragment: string): string {
    const index = this.toolIndexByBlock.get(blockIndex);
    if (index === undefined || fragment === '') return '';
    return this.chunk({ tool_calls: [{ index, function: { arguments: fragment } }] }, null);
  }

  /** The last chunks: the finish reason, the usage chunk when asked for, and `[DONE]`. */
  finish(stopReason: string, usage: BedrockUsage): string {
    const last = this.start() + this.chunk({}, finishReason(stopReason));
    const usageChunk = this.includeUsage ? dataLine({ ...this.base(), choices: [], usage: openAiUsage(usage) }) : '';
    return last + usageChunk + DONE_LINE;
  }

  private base(): Record<string, unknown> {
    return {
      id: this.identity.id,
      object: 'chat.completion.chunk',
      created: this.identity.created,
      model: this.identity.model,
      system_fingerprint: null,
    };
  }

  private chunk(delta: Record<string, unknown>, finish: string | null): string {
    return dataLine({
      ...this.base(),
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(this.includeUsage ? { usage: null } : {}),
    });
  }
}

/** OpenAI's error `type` for a status (and, for 429, whether a budget is spent). */
export function openAiErrorType(error: ChatError): string {
  if (error.code === 'token_budget_exhausted' || error.code === 'cost_budget_exhausted') return 'insufficient_quota';
  switch (error.status) {
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 429:
      return 'rate_limit_error';
    default:
      return error.status >= 500 ? 'server_error' : 'invalid_request_error';
  }
}

/** `{ message, type, param, code }`; `code` is the runtime's stable code (contract/errors.ts). */
export function openAiError(error: ChatError): Record<string, unknown> {
  const param = (error as ChatError & { param?: string | null }).param ?? null;
  return { message: error.message, type: openAiErrorType(error), param, code: error.code };
}

/** Errors as OpenAI clients read them: the JSON body before the first byte, a `data: {"error": …}` event after it. */
export const OPENAI_ERRORS: ErrorDialect = {
  body: (error) => JSON.stringify({ error: openAiError(error) }),
  inBand: (error) => dataLine({ error: openAiError(error) }),
};
