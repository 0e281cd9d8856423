/**
 * Request handling: routing, fault selection, validation, Converse and ConverseStream answers.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultRichAnswer, inputUsage, structuredOutputSchema, toolUseId, validateContent } from './answers';
import { type FaultQueue, parseMarker, type ResolvedFault, type ServiceError, STREAM_EXCEPTIONS, stripMarkers } from './faults';
import { assessGrounding, type EmulatorGuardrail, groundingTrace, guardrailOf, validateGuardContent } from './grounding';
import { interveneOn, requestedIntervention, validateGuardrailConfig } from './guardrails';
import { parseJsonObject, recordHeaders, SERIALIZATION_ERROR, streamEvents } from './request';
import type { AnswerContext, BedrockEmulatorOptions, ConverseRequestBody, EmulatorAnswer, RecordedRequest, RuntimeOperation } from './types';
import { INVALID_MODEL_ID, isKnownModel, isWellFormedModelId, lastUserText, tokenize, validateBody, validationError } from './validation';
import { EVENT_STREAM_CONTENT_TYPE, encodeEvent, encodeException, newRequestId, type ResponseLike, writeError, writeJson } from './wire';

/** The part of http2.Http2ServerRequest / http.IncomingMessage the emulator uses. */
export interface RequestLike extends AsyncIterable<unknown> {
  readonly method?: string;
  readonly url?: string;
  readonly headers: IncomingHttpHeaders;
  readonly httpVersion: string;
  /** The access key id whose signature was verified, when the emulator verifies them. */
  readonly principal?: string;
}

export interface EmulatorState {
  tokenDelayMs: number;
  readonly answer: BedrockEmulatorOptions['answer'];
  readonly structuredOutputModels: readonly string[] | undefined;
  /** Prompt-cache prefixes written so far (answers.ts `inputUsage`). */
  readonly promptCache: Set<string>;
  readonly knownModels: readonly string[] | undefined;
  /** Guardrails with contextual grounding, by id (grounding.ts). */
  readonly guardrails: Readonly<Record<string, EmulatorGuardrail>> | undefined;
  readonly maxInputTokens: number;
  readonly faults: FaultQueue;
  readonly requests: RecordedRequest[];
  /** Abort controllers of in-flight streams, aborted by close(). */
  readonly activeStreams: Set<AbortController>;
  readonly log: (line: string) => void;
  /** Called as each streamed text chunk is handed to the connection (benchmarks time the hops after it). */
  readonly onToken?: (text: string) => void;
}

const MAX_BODY_BYTES = 25 * 1024 * 1024;
const ROUTE = /^\/model\/([^/]+)\/(converse|converse-stream)$/;

export interface RuntimeRoute {
  readonly operation: RuntimeOperation;
  readonly rawModelId: string;
}

/** The Bedrock Runtime operation a request path names (POST only), if any. */
export function matchRuntimeRoute(method: string | undefined, path: string): RuntimeRoute | undefined {
  const route = method === 'POST' ? ROUTE.exec(path) : null;
  return route ? { operation: route[2] === 'converse-stream' ? 'ConverseStream' : 'Converse', rawModelId: route[1] ?? '' } : undefined;
}

export function defaultAnswer(request: AnswerContext): string {
  const asked = request.lastUserText.replace(/\s+/g, ' ').trim();
  const quoted = asked.length > 80 ? `${asked.slice(0, 80)}…` : asked;
  return (
    '[bedrock-emulator] This is a canned answer from the local Bedrock emulator, not a real model. ' +
    `You asked: "${quoted}". Point the application at Amazon Bedrock to get real answers.`
  );
}

async function readBody(req: RequestLike): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.byteLength;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export async function handleRequest(state: EmulatorState, route: RuntimeRoute, req: RequestLike, res: ResponseLike): Promise<void> {
  const requestId = newRequestId();
  const started = Date.now();
  const { operation } = route;
  const fail = (error: ServiceError, what: string): void => {
    state.log(`[bedrock-emulator] ${what} -> ${error.status} ${error.type}: ${error.message}`);
    writeError(res, error, requestId);
  };

  let modelId: string;
  try {
    modelId = decodeURIComponent(route.rawModelId);
  } catch {
    return fail(INVALID_MODEL_ID, `${operation} ${route.rawModelId}`);
  }
  const what = `${operation} ${modelId}`;

  const raw = await readBody(req);
  if (raw === undefined) return fail(validationError('Request body too large.'), what);
  const body = parseJsonObject<ConverseRequestBody>(raw);
  if (body === undefined) return fail(SERIALIZATION_ERROR, what);

  const record: RecordedRequest = { operation, modelId, body, headers: recordHeaders(req.headers), httpVersion: req.httpVersion };
  if (req.principal !== undefined) record.principal = req.principal;
  state.requests.push(record);

  const userText = lastUserText(body);
  let fault: ResolvedFault | undefined;
  try {
    fault = parseMarker(userText);
  } catch (err) {
    return fail(validationError(`[bedrock-emulator] ${(err as Error).message}`), what);
  }
  fault ??= state.faults.take();
  if (fault) record.fault = fault.name;
  if (fault?.kind === 'http') return fail(fault.error, `${what} (fault ${fault.name})`);
  if (fault && operation === 'Converse') {
    // Converse has no event stream: the stream fault surfaces as the matching HTTP error.
    return fail({ ...STREAM_EXCEPTIONS[fault.exceptionType], message: fault.message }, `${what} (fault ${fault.name})`);
  }

  if (!isWellFormedModelId(modelId)) return fail(INVALID_MODEL_ID, what);
  if (!isKnownModel(modelId, state.knownModels)) {
    return fail(
      { status: 404, type: 'ResourceNotFoundException', message: 'Could not resolve the foundation model from the provided model identifier.' },
      what,
    );
  }
  const invalid =
    validateBody(body) ??
    validateContent(body) ??
    validateGuardContent(body) ??
    validateGuardrailConfig(body.guardrailConfig, operation === 'ConverseStream');
  if (invalid) return fail(invalid, what);
  if (structuredOutputSchema(body) !== undefined && state.structuredOutputModels && !isKnownModel(modelId, state.structuredOutputModels)) {
    return fail(validationError('This model does not support structured output. Remove outputConfig.textFormat and try again.'), what);
  }
  const input = inputUsage(body, modelId, state.promptCache);
  const inputTokens = input.inputTokens + (input.cacheReadInputTokens ?? 0) + (input.cacheWriteInputTokens ?? 0);
  if (inputTokens > state.maxInputTokens) return fail(validationError('Input is too long for requested model.'), what);

  const context: AnswerContext = { operation, modelId, body, lastUserText: stripMarkers(userText) };
  let answer: EmulatorAnswer;
  try {
    const given = typeof state.answer === 'function' ? state.answer(context) : state.answer;
    answer = typeof given === 'string' ? { text: given } : (given ?? defaultRichAnswer(context) ?? { text: defaultAnswer(context) });
    if (typeof answer !== 'object' || answer === null || (answer.text !== undefined && typeof answer.text !== 'string')) {
      throw new TypeError('answer function must return a string or { text?, toolCalls? }');
    }
  } catch (err) {
    return fail(
      { status: 500, type: 'InternalServerException', message: `[bedrock-emulator] answer function failed: ${(err as Error).message}` },
      what,
    );
  }
  // A marker asks for an intervention; else the guardrail's contextual grounding check may block the answer.
  const grounding = body.guardrailConfig
    ? assessGrounding(guardrailOf(state.guardrails, body.guardrailConfig.guardrailIdentifier), body, answer.text ?? '')
    : undefined;
  if (grounding) {
    record.contextualGrounding = grounding;
    state.log(
      `[bedrock-emulator] ${what} contextual grounding: ${grounding.filters.map((f) => `${f.type} ${f.score} (threshold ${f.threshold}) ${f.action}`).join(', ')}`,
    );
  }
  const intervention = requestedIntervention(body.guardrailConfig, userText) ?? (grounding?.blocked ? 'output' : undefined);
  if (intervention) record.guardrailIntervention = intervention;
  const trace = groundingTrace(body, grounding);
  const modelTokens = tokenize(answer.text ?? '');
  const tokens = intervention ? interveneOn(intervention, modelTokens) : modelTokens;
  const maxTokens = body.inferenceConfig?.maxTokens;
  const truncated = maxTokens !== undefined && maxTokens < tokens.length;
  const emitted = truncated ? tokens.slice(0, maxTokens) : tokens;
  const toolUses =
    truncated || intervention
      ? []
      : (answer.toolCalls ?? []).map((call, i) => ({
          toolUseId: call.toolUseId ?? toolUseId(`${requestId}#${i}`),
          name: call.name,
          input: call.input,
        }));
  const toolTokens = toolUses.reduce((sum, use) => sum + tokenize(JSON.stringify(use.input)).length, 0);
  const stopReason = intervention ? 'guardrail_intervened' : truncated ? 'max_tokens' : toolUses.length > 0 ? 'tool_use' : 'end_turn';
  const outputTokens = emitted.length + toolTokens;
  const usage: Usage = { ...input, outputTokens, totalTokens: inputTokens + outputTokens };

  if (operation === 'Converse') {
    state.log(`[bedrock-emulator] ${what} -> 200 canned answer (${emitted.length} tokens, ${toolUses.length} tool calls, ${stopReason})`);
    const content = [
      ...(emitted.length > 0 || toolUses.length === 0 ? [{ text: emitted.join('') }] : []),
      ...toolUses.map((toolUse) => ({ toolUse })),
    ];
    return writeJson(
      res,
      200,
      {
        output: { message: { role: 'assistant', content } },
        stopReason,
        usage,
        metrics: { latencyMs: Date.now() - started },
        ...(trace ? { trace } : {}),
      },
      requestId,
    );
  }
  state.log(
    `[bedrock-emulator] ${what} -> 200 streaming canned answer (${emitted.length} tokens, ${toolUses.length} tool calls, ${stopReason})${fault ? ` with fault ${fault.name}` : ''}`,
  );
  await streamAnswer(state, res, { what, requestId, started, emitted, toolUses, stopReason, usage, fault, trace });
}

interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

interface StreamPlan {
  what: string;
  requestId: string;
  started: number;
  emitted: string[];
  toolUses: Array<{ toolUseId: string; name: string; input: Record<string, unknown> }>;
  stopReason: string;
  usage: Usage;
  fault: ResolvedFault | undefined;
  /** The guardrail trace the metadata event carries, when asked for. */
  trace: Record<string, unknown> | undefined;
}

/** JSON text in fragments of at most 8 characters. */
function splitJson(json: string): string[] {
  return json.match(/[\s\S]{1,8}/g) ?? [];
}

/** Writes each event frame as soon as it is produced (no buffering), one token every `tokenDelayMs`. */
async function streamAnswer(state: EmulatorState, res: ResponseLike, plan: StreamPlan): Promise<void> {
  const fault = plan.fault?.kind === 'stream' ? plan.fault : undefined;
  let deltasSent = 0;
  await streamEvents(
    state,
    res,
    plan.what,
    () => `${deltasSent} of ${plan.emitted.length} tokens`,
    async ({ signal, send }) => {
      res.writeHead(200, { 'content-type': EVENT_STREAM_CONTENT_TYPE, 'x-amzn-requestid': plan.requestId });
      if (fault?.name === 'streamThrottlingBeforeFirstToken') {
        await send(encodeException(fault.exceptionType, fault.message));
        res.end();
        return;
      }
      await send(encodeEvent('messageStart', { role: 'assistant' }));
      for (let i = 0; i <= plan.emitted.length; i++) {
        if (fault?.name === 'midStreamError' && !fault.afterMetadata && i === Math.min(fault.afterTokens, plan.emitted.length)) {
          await send(encodeException(fault.exceptionType, fault.message));
          res.end();
          return;
        }
        if (i === plan.emitted.length) break;
        await sleep(state.tokenDelayMs, undefined, { signal });
        await send(encodeEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: plan.emitted[i] } }));
        state.onToken?.(plan.emitted[i] ?? '');
        deltasSent++;
      }
      const hasText = plan.emitted.length > 0 || plan.toolUses.length === 0;
      if (hasText) await send(encodeEvent('contentBlockStop', { contentBlockIndex: 0 }));
      for (const [i, use] of plan.toolUses.entries()) {
        const contentBlockIndex = (hasText ? 1 : 0) + i;
        await send(encodeEvent('contentBlockStart', { contentBlockIndex, start: { toolUse: { toolUseId: use.toolUseId, name: use.name } } }));
        // The input arrives as JSON text in fragments, as the service streams it.
        for (const fragment of splitJson(JSON.stringify(use.input))) {
          await sleep(state.tokenDelayMs, undefined, { signal });
          await send(encodeEvent('contentBlockDelta', { contentBlockIndex, delta: { toolUse: { input: fragment } } }));
        }
        await send(encodeEvent('contentBlockStop', { contentBlockIndex }));
      }
      await send(encodeEvent('messageStop', { stopReason: plan.stopReason }));
      await send(
        encodeEvent('metadata', {
          usage: plan.usage,
          metrics: { latencyMs: Date.now() - plan.started },
          ...(plan.trace ? { trace: plan.trace } : {}),
        }),
      );
      if (fault?.name === 'midStreamError' && fault.afterMetadata) await send(encodeException(fault.exceptionType, fault.message));
      res.end();
    },
  );
}
