/**
 * Maps what the Bedrock Runtime client throws (service exceptions from the HTTP response, exception events
 * from inside the event stream, network and timeout errors) to the {@link ChatError} a caller sees.
 *
 * | Upstream                                                          | Status | Code                    |
 * |-------------------------------------------------------------------|--------|-------------------------|
 * | AccessDeniedException                                             | 403    | model_access_denied     |
 * | ResourceNotFoundException, ValidationException "model identifier is invalid" | 404 | model_not_found |
 * | other ValidationException (e.g. input too long)                   | 400    | model_rejected_request  |
 * | ThrottlingException, ServiceQuotaExceededException (`Retry-After`) | 429   | throttled               |
 * | InternalServerException, ModelErrorException, ModelStreamErrorException, a stream ending early, other service errors | 502 | upstream_error |
 * | ServiceUnavailableException, ModelNotReadyException, network errors | 503  | upstream_unavailable    |
 * | ModelTimeoutException, SDK TimeoutError, our deadline             | 504    | upstream_timeout        |
 * | anything else (a bug)                                             | 500    | internal_error          |
 *
 * A ValidationException's message is never logged (it may echo the input): the cause kept is a {@link RedactedUpstreamError}.
 *
 * The rules every upstream shares ({@link mapUpstreamError}, {@link settleFailure}) serve the agent
 * (invoke-agent.ts) and the knowledge base (retrieve.ts) too, each with its own codes and messages.
 */

import { GUARDRAIL_INTERVENED } from '../../../contract/metrics';
import { isError } from '../core/log';
import { ChatError, internalError } from '../http/errors';

export interface ModelTarget {
  readonly alias: string;
  readonly modelId: string;
  readonly region: string;
}

/** The abort reason when our own deadline stops the call. */
export class DeadlineExceededError extends Error {
  public readonly name = 'DeadlineExceededError';
}

/**
 * A failure whose upstream message may quote request content (AWS `ValidationException` messages can echo the
 * rejected value: a prompt, a passage): name, code and metadata kept for the log, message dropped. Every
 * upstream (model, agent, knowledge base) wraps its validation errors in it before they reach a log line.
 */
export class RedactedUpstreamError extends Error {
  public readonly $metadata: unknown;
  public readonly code: unknown;
  constructor(original: Error) {
    super('(message not logged: AWS validation messages may quote the rejected value)');
    this.name = original.name;
    this.$metadata = (original as Error & { $metadata?: unknown }).$metadata;
    this.code = (original as Error & { code?: unknown }).code;
  }
}

/** The stream ended without the `messageStop` and `metadata` events every complete answer has. */
export class IncompleteStreamError extends Error {
  public readonly name = 'IncompleteStreamError';
}

/**
 * Connection failures: Node's error codes (also found in the message, `connect ECONNREFUSED 10.0.0.1:443`,
 * which survives when the SDK wraps the error), and the plain `Error`s of the SDK's HTTP/2 handler.
 */
export const NETWORK_FAILURE =
  /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENETDOWN|ERR_HTTP2_[A-Z_]+|ERR_STREAM_PREMATURE_CLOSE)\b|http2 request did not get a response|stream is abnormally aborted|socket hang up|Frame type id/;

/** What one upstream decides itself, around the rules every upstream shares ({@link mapUpstreamError}). */
export interface UpstreamErrorRules {
  /** The error for an upstream error name (capitalised: `ThrottlingException`), or undefined for the shared rules. */
  byName(name: string, error: Error): ChatError | undefined;
  /** A connection failure. */
  unavailable(error: Error): ChatError;
  /** Any other error of the service (it carries response metadata). */
  failed(error: Error): ChatError;
}

/**
 * The mapping every upstream (model, agent, knowledge base) shares: a {@link ChatError} passes through,
 * a name the upstream knows maps as it says, then a connection failure is `unavailable`, any other service
 * error `failed`, and anything else (a non-error, a bug of ours) `internal_error`.
 */
export function mapUpstreamError(error: unknown, rules: UpstreamErrorRules): ChatError {
  if (error instanceof ChatError) return error;
  if (!isError(error)) return internalError(error);
  // Exception events name the union member (`throttlingException`); HTTP errors the shape (`ThrottlingException`).
  const named = rules.byName(error.name.charAt(0).toUpperCase() + error.name.slice(1), error);
  if (named) return named;
  const { code, $metadata } = error as Error & { code?: unknown; $metadata?: unknown };
  if (NETWORK_FAILURE.test(`${typeof code === 'string' ? code : ''} ${error.message}`)) return rules.unavailable(error);
  // Any other modelled or unmodelled service error (it carries response metadata).
  if ($metadata !== undefined) return rules.failed(error);
  return internalError(error);
}

/**
 * What to throw when an upstream call failed or was aborted: a failure is mapped; an abort by our deadline
 * becomes a mapped 504 like any upstream timeout; another abort reason (the client went away) is rethrown
 * untouched for the caller to handle.
 */
export function settleFailure(error: unknown, signal: AbortSignal, map: (error: unknown) => ChatError): unknown {
  if (!signal.aborted) return map(error);
  return signal.reason instanceof DeadlineExceededError ? map(signal.reason) : signal.reason;
}

export function mapBedrockError(error: unknown, target: ModelTarget): ChatError {
  const model = `model "${target.alias}"`;
  return mapUpstreamError(error, {
    byName: (name, cause) => modelErrorByName(name, cause, model, target),
    unavailable: (cause) => upstreamUnavailable(model, cause),
    failed: (cause) => upstreamError(model, cause),
  });
}

function modelErrorByName(name: string, error: Error, model: string, target: ModelTarget): ChatError | undefined {
  switch (name) {
    case 'AccessDeniedException': {
      // AWS names the denied action and resource (`… not authorized to perform: A on resource: R`): pass them on.
      const denied = deniedPermission(error.message);
      return new ChatError(
        403,
        'model_access_denied',
        `Access to ${model} (${target.modelId}) was denied. Enable access to this model in the Amazon Bedrock console ` +
          `for region ${target.region}, or check that the identity calling Bedrock (the function role, or the role it assumes) may call ` +
          `${denied.action ?? 'bedrock:InvokeModelWithResponseStream'} on ${denied.resource ?? 'the model and inference-profile ARNs'}.`,
        {},
        error,
      );
    }
    case 'ResourceNotFoundException':
      return modelNotFound(model, target, error);
    case 'ValidationException':
      // The service answers some unknown ids with 400 "The provided model identifier is invalid."
      if (/model identifier is invalid/i.test(error.message)) return modelNotFound(model, target, new RedactedUpstreamError(error));
      return new ChatError(
        400,
        'model_rejected_request',
        `The ${model} rejected the request, for example because the conversation is too long for it. Shorten the history or the message.`,
        {},
        new RedactedUpstreamError(error),
      );
    case 'ThrottlingException':
    case 'ServiceQuotaExceededException':
      return throttled(model, error);
    case 'ServiceUnavailableException':
    case 'ModelNotReadyException':
      return upstreamUnavailable(model, error);
    case 'ModelTimeoutException':
    case 'TimeoutError':
    case 'DeadlineExceededError':
      return new ChatError(504, 'upstream_timeout', `The ${model} did not answer in time. Try again, or ask for a shorter answer.`, {}, error);
    case 'InternalServerException':
    case 'ModelErrorException':
    case 'ModelStreamErrorException':
    case 'IncompleteStreamError':
      return upstreamError(model, error);
  }
  return undefined;
}

function modelNotFound(model: string, target: ModelTarget, cause: Error): ChatError {
  return new ChatError(
    404,
    'model_not_found',
    `The ${model} (${target.modelId}) was not found in region ${target.region}. Check the model or inference profile id ` +
      'and that it is offered in this region.',
    {},
    cause,
  );
}

/** The action and resource of an AWS AccessDenied message (`… is not authorized to perform: A on resource: R …`). */
export function deniedPermission(message: string): { action?: string; resource?: string } {
  const m = /perform: ([a-z0-9-]+:[A-Za-z0-9]+)(?: on resource: (arn:[^\s,;]+))?/.exec(message);
  return { ...(m?.[1] ? { action: m[1] } : {}), ...(m?.[2] ? { resource: m[2] } : {}) };
}

/**
 * The `Retry-After` of a 429 `throttled`, in seconds. Bedrock does not say when capacity returns, and the client's
 * own retry (one, with the SDK's jittered exponential backoff) has already been spent: a caller waits at least this
 * long, and backs off further on its own when throttled again.
 */
export const THROTTLED_RETRY_AFTER_SECONDS = 2;

/** 429 `throttled` with `Retry-After`: `upstream` names what throttled (`model "haiku"`, `agent …`, `knowledge base`). */
export function throttled(upstream: string, cause: Error): ChatError {
  return new ChatError(
    429,
    'throttled',
    `The ${upstream} is receiving too many requests right now. Try again shortly.`,
    { 'retry-after': String(THROTTLED_RETRY_AFTER_SECONDS) },
    cause,
  );
}

/** 503 `upstream_unavailable` for the model or agent `upstream`. */
export function upstreamUnavailable(upstream: string, cause: Error): ChatError {
  return new ChatError(503, 'upstream_unavailable', `The ${upstream} is unavailable right now. Try again shortly.`, {}, cause);
}

/** 502 `upstream_error` for the model or agent `upstream`. */
export function upstreamError(upstream: string, cause: Error): ChatError {
  return new ChatError(502, 'upstream_error', `The ${upstream} failed to answer. Try again.`, {}, cause);
}

/**
 * A guardrail stopped the answer (its input or its output violated the function's content policy): 400, because
 * it is the request's content, never a failure of the service.
 */
export function guardrailIntervened(): ChatError {
  return new ChatError(400, 'guardrail_intervened', "This chat's content policy stopped the answer. Rephrase the message and try again.");
}

/**
 * Ends an answer a guardrail stopped (stop reason `guardrail_intervened`) with its stable code: a JSON error
 * before the first byte, an SSE `error` event or the plain-text marker after it (core/chat-response.ts). Called
 * once the request's facts hold the usage, so the intervention is counted with what it cost.
 */
export function endIfGuardrailIntervened(result: { readonly stopReason?: string }): void {
  if (result.stopReason === GUARDRAIL_INTERVENED) throw guardrailIntervened();
}
