/**
 * Bedrock Agent Runtime part of the emulator: `Retrieve` and `InvokeAgent`, as the real
 * `@aws-sdk/client-bedrock-agent-runtime` client serialises and deserialises them (restJson1):
 *
 * - `POST /knowledgebases/{knowledgeBaseId}/retrieve` → JSON `{ retrievalResults: [...] }`;
 * - `POST /agents/{agentId}/agentAliases/{agentAliasId}/sessions/{sessionId}/text` → HTTP 200,
 *   `application/vnd.amazon.eventstream` body of `chunk` events, response headers
 *   `x-amzn-bedrock-agent-content-type`, `x-amz-bedrock-agent-session-id` (and `x-amz-bedrock-agent-memory-id`
 *   when the request named a memory). A `chunk` event is a JSON payload `{"bytes":"<base64>"}`: `PayloadPart.bytes`
 *   is a blob member (not the event payload), and blobs inside JSON are base64 strings.
 *
 * ANSWERS AND PASSAGES ARE CANNED: no agent, model or knowledge base is called.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AGENT_HTTP_FAULTS,
  AGENT_STREAM_EXCEPTION_TYPES,
  AGENT_STREAM_EXCEPTIONS,
  faultAppliesTo,
  parseMarker,
  type ResolvedFault,
  type ServiceError,
  stripMarkers,
} from './faults';
import type { EmulatorState, RequestLike } from './operations';
import { parseJsonObject, recordHeaders, SERIALIZATION_ERROR, streamEvents } from './request';
import type {
  AgentAnswerContext,
  AgentRuntimeOperation,
  AgentStreamExceptionType,
  AgentTurn,
  BedrockEmulatorOptions,
  EmulatorPassage,
  InvokeAgentRequestBody,
  RecordedRequest,
  RetrieveRequestBody,
} from './types';
import { tokenize, validationError } from './validation';
import { EVENT_STREAM_CONTENT_TYPE, encodeChunk, encodeException, newRequestId, type ResponseLike, writeError, writeJson } from './wire';

export interface AgentRuntimeState {
  readonly knownKnowledgeBases: readonly string[] | undefined;
  readonly knownAgents: readonly string[] | undefined;
  /** Passages per knowledge base id (`'*'` = fallback). */
  readonly passages: Map<string, readonly EmulatorPassage[]>;
  /** Completed turns per agent id + alias id + session id. */
  readonly sessions: Map<string, AgentTurn[]>;
  readonly agentAnswer: BedrockEmulatorOptions['agentAnswer'];
}

export type AgentRoute =
  | { operation: 'Retrieve'; rawKnowledgeBaseId: string }
  | { operation: 'InvokeAgent'; rawAgentId: string; rawAgentAliasId: string; rawSessionId: string };

const RETRIEVE_ROUTE = /^\/knowledgebases\/([^/]+)\/retrieve$/;
const INVOKE_AGENT_ROUTE = /^\/agents\/([^/]+)\/agentAliases\/([^/]+)\/sessions\/([^/]+)\/text$/;

/** The agent runtime operation a request path names (POST only), if any. */
export function matchAgentRoute(method: string | undefined, path: string): AgentRoute | undefined {
  if (method !== 'POST') return undefined;
  const retrieve = RETRIEVE_ROUTE.exec(path);
  if (retrieve) return { operation: 'Retrieve', rawKnowledgeBaseId: retrieve[1] ?? '' };
  const invoke = INVOKE_AGENT_ROUTE.exec(path);
  if (invoke) return { operation: 'InvokeAgent', rawAgentId: invoke[1] ?? '', rawAgentAliasId: invoke[2] ?? '', rawSessionId: invoke[3] ?? '' };
  return undefined;
}

/** `numberOfResults` when the request has none (the service's documented default). */
export const DEFAULT_NUMBER_OF_RESULTS = 5;
const MAX_NUMBER_OF_RESULTS = 100;
const MAX_BODY_BYTES = 25 * 1024 * 1024;
const EMULATOR_ACCOUNT = '123456789012';
const NOT_FOUND_MESSAGE = AGENT_HTTP_FAULTS.notFound.message;

const DEFAULT_SCORES = [0.82, 0.74, 0.66, 0.58, 0.5, 0.42];
const DEFAULT_TOPICS = [
  'how the local emulator answers Retrieve',
  'why these passages are not real documents',
  'how to configure passages with setPassages()',
  'how numberOfResults limits the results',
  'how scores are ordered',
  'where real passages come from',
];

function quote(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** The canned passages returned when none are configured: they say they are emulator data, scores descending. */
export function defaultPassages(knowledgeBaseId: string, query: string): EmulatorPassage[] {
  return DEFAULT_SCORES.map((score, i) => ({
    text:
      `[bedrock-emulator knowledge base] Canned passage ${i + 1} of ${DEFAULT_SCORES.length} from knowledge base ${knowledgeBaseId} ` +
      `(${DEFAULT_TOPICS[i] ?? 'emulator data'}). This is EMULATOR DATA, not a real document; it was returned for the query ` +
      `"${quote(query, 80)}" because the local emulator returns the same passages for every query.`,
    score,
  }));
}

export function defaultAgentAnswer(context: AgentAnswerContext): string {
  const previous = context.history[context.history.length - 1];
  return (
    `[bedrock-emulator agent] session ${context.sessionId}, turn ${context.turn}: you said "${quote(context.inputText, 200)}".` +
    (previous ? ` Earlier in this session you said "${quote(previous.inputText, 200)}".` : '') +
    ' This is a canned answer from the local Bedrock Agents emulator, not a real agent.'
  );
}

export function checkPassages(passages: readonly EmulatorPassage[]): EmulatorPassage[] {
  if (!Array.isArray(passages)) throw new TypeError('passages must be an array of { text, score, uri?, metadata? }');
  return passages.map((passage, i) => {
    if (!passage || typeof passage.text !== 'string') throw new TypeError(`passages[${i}].text must be a string`);
    if (typeof passage.score !== 'number' || !Number.isFinite(passage.score)) throw new TypeError(`passages[${i}].score must be a finite number`);
    if (passage.uri !== undefined && typeof passage.uri !== 'string') throw new TypeError(`passages[${i}].uri must be a string`);
    if (passage.metadata !== undefined && (passage.metadata === null || typeof passage.metadata !== 'object' || Array.isArray(passage.metadata))) {
      throw new TypeError(`passages[${i}].metadata must be an object`);
    }
    return { ...passage, ...(passage.metadata ? { metadata: { ...passage.metadata } } : {}) };
  });
}

async function readBody(req: RequestLike): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    if (tooLarge) continue; // keep draining
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.byteLength;
    if (size > MAX_BODY_BYTES) tooLarge = true;
    else chunks.push(buf);
  }
  return tooLarge ? undefined : Buffer.concat(chunks);
}

function constraintError(value: unknown, at: string, constraint: string): ServiceError {
  return validationError(
    `1 validation error detected: Value ${value === undefined || value === null ? 'null' : `'${String(value)}'`} at '${at}' failed to satisfy constraint: ${constraint}`,
  );
}

/** Path identifiers: `[0-9a-zA-Z]+`, at most 10 characters (knowledge base, agent and alias ids). */
function checkId(value: string, at: string): ServiceError | undefined {
  if (value.length > 10) return constraintError(value, at, 'Member must have length less than or equal to 10');
  if (!/^[0-9a-zA-Z]+$/.test(value)) return constraintError(value, at, 'Member must satisfy regular expression pattern: [0-9a-zA-Z]+');
  return undefined;
}

function checkSessionId(value: string): ServiceError | undefined {
  if (value.length < 2) return constraintError(value, 'sessionId', 'Member must have length greater than or equal to 2');
  if (value.length > 100) return constraintError(value, 'sessionId', 'Member must have length less than or equal to 100');
  if (!/^[0-9a-zA-Z._:-]+$/.test(value))
    return constraintError(value, 'sessionId', 'Member must satisfy regular expression pattern: [0-9a-zA-Z._:-]+');
  return undefined;
}

/** Region of the SigV4 credential scope (`Credential=AKID/20240101/us-east-1/bedrock/aws4_request`), default us-east-1. */
function signedRegion(headers: Record<string, string>): string {
  return /Credential=[^/,\s]+\/\d{8}\/([^/,\s]+)\//.exec(headers.authorization ?? '')?.[1] ?? 'us-east-1';
}

interface RequestInfo {
  operation: AgentRuntimeOperation;
  /** ARN of the resource, for realistic AccessDenied messages. */
  resourceArn: string;
}

/** The HTTP error an agent runtime operation answers for a fault (stream faults map to the matching HTTP error on Retrieve). */
function faultError(fault: ResolvedFault, info: RequestInfo): ServiceError {
  if (fault.kind === 'http') {
    if (fault.name === 'accessDenied' && fault.customMessage === undefined) {
      const action = `bedrock:${info.operation}`;
      return {
        ...AGENT_HTTP_FAULTS.accessDenied,
        message:
          `User: arn:aws:sts::${EMULATOR_ACCOUNT}:assumed-role/bedrock-emulator/emulator is not authorized to perform: ${action} ` +
          `on resource: ${info.resourceArn} because no identity-based policy allows the ${action} action`,
      };
    }
    return { ...AGENT_HTTP_FAULTS[fault.name], ...(fault.customMessage !== undefined ? { message: fault.customMessage } : {}) };
  }
  const type = agentExceptionType(fault);
  return { ...AGENT_STREAM_EXCEPTIONS[type], ...(fault.customMessage !== undefined ? { message: fault.customMessage } : {}) };
}

function agentExceptionType(fault: Extract<ResolvedFault, { kind: 'stream' }>): AgentStreamExceptionType {
  const explicit = fault.explicitExceptionType;
  if (explicit !== undefined && (AGENT_STREAM_EXCEPTION_TYPES as readonly string[]).includes(explicit)) return explicit as AgentStreamExceptionType;
  return fault.name === 'midStreamError' ? 'dependencyFailedException' : 'throttlingException';
}

export async function handleAgentRuntimeRequest(
  state: EmulatorState,
  agent: AgentRuntimeState,
  route: AgentRoute,
  req: RequestLike,
  res: ResponseLike,
): Promise<void> {
  const requestId = newRequestId();
  const { operation } = route;
  const fail = (error: ServiceError, what: string): void => {
    state.log(`[bedrock-emulator] ${what} -> ${error.status} ${error.type}: ${error.message}`);
    writeError(res, error, requestId);
  };

  let ids: { knowledgeBaseId: string } | { agentId: string; agentAliasId: string; sessionId: string };
  try {
    ids =
      route.operation === 'Retrieve'
        ? { knowledgeBaseId: decodeURIComponent(route.rawKnowledgeBaseId) }
        : {
            agentId: decodeURIComponent(route.rawAgentId),
            agentAliasId: decodeURIComponent(route.rawAgentAliasId),
            sessionId: decodeURIComponent(route.rawSessionId),
          };
  } catch {
    for await (const chunk of req) void chunk;
    return fail(validationError('[bedrock-emulator] malformed percent-encoding in the request path'), operation);
  }
  const what =
    'knowledgeBaseId' in ids ? `Retrieve ${ids.knowledgeBaseId}` : `InvokeAgent ${ids.agentId}/${ids.agentAliasId} session ${ids.sessionId}`;

  const raw = await readBody(req);
  if (raw === undefined) return fail(validationError('Request body too large.'), what);
  const body = parseJsonObject<RetrieveRequestBody & InvokeAgentRequestBody>(raw);
  if (body === undefined) return fail(SERIALIZATION_ERROR, what);

  const headers = recordHeaders(req.headers);
  const region = signedRegion(headers);
  const record: RecordedRequest = { operation, modelId: '', ...ids, body, headers, httpVersion: req.httpVersion };
  if (req.principal !== undefined) record.principal = req.principal;
  state.requests.push(record);
  const info: RequestInfo = {
    operation,
    resourceArn:
      'knowledgeBaseId' in ids
        ? `arn:aws:bedrock:${region}:${EMULATOR_ACCOUNT}:knowledge-base/${ids.knowledgeBaseId}`
        : `arn:aws:bedrock:${region}:${EMULATOR_ACCOUNT}:agent-alias/${ids.agentId}/${ids.agentAliasId}`,
  };

  // Fault: an in-message marker (query text / input text) wins over the injected queue.
  const markedText = operation === 'Retrieve' ? body.retrievalQuery?.text : body.inputText;
  let fault: ResolvedFault | undefined;
  try {
    fault = typeof markedText === 'string' ? parseMarker(markedText) : undefined;
    if (fault && !faultAppliesTo(fault, operation)) {
      throw new RangeError(`exceptionType is not an exception event of ${operation}; expected one of ${AGENT_STREAM_EXCEPTION_TYPES.join(', ')}`);
    }
  } catch (err) {
    return fail(validationError(`[bedrock-emulator] ${(err as Error).message}`), what);
  }
  fault ??= state.faults.take(operation);
  if (fault) record.fault = fault.name;
  if (fault && (fault.kind === 'http' || operation === 'Retrieve')) return fail(faultError(fault, info), `${what} (fault ${fault.name})`);

  if ('knowledgeBaseId' in ids) {
    const invalid = validateRetrieve(ids.knowledgeBaseId, body);
    if (invalid) return fail(invalid, what);
    if (agent.knownKnowledgeBases && !agent.knownKnowledgeBases.includes(ids.knowledgeBaseId)) {
      return fail({ status: 404, type: 'ResourceNotFoundException', message: NOT_FOUND_MESSAGE }, what);
    }
    return answerRetrieve(state, agent, res, requestId, what, ids.knowledgeBaseId, body);
  }

  const invalid =
    checkId(ids.agentId, 'agentId') ??
    checkId(ids.agentAliasId, 'agentAliasId') ??
    checkSessionId(ids.sessionId) ??
    (body.inputText !== undefined && typeof body.inputText !== 'string'
      ? constraintError(body.inputText, 'inputText', 'Member must be a string')
      : undefined);
  if (invalid) return fail(invalid, what);
  if (agent.knownAgents && !agent.knownAgents.includes(ids.agentId)) {
    return fail({ status: 404, type: 'ResourceNotFoundException', message: NOT_FOUND_MESSAGE }, what);
  }
  return answerInvokeAgent(state, agent, res, requestId, what, ids, body, fault);
}

function validateRetrieve(knowledgeBaseId: string, body: RetrieveRequestBody): ServiceError | undefined {
  const idError = checkId(knowledgeBaseId, 'knowledgeBaseId');
  if (idError) return idError;
  if (body.retrievalQuery === undefined || body.retrievalQuery === null) return constraintError(null, 'retrievalQuery', 'Member must not be null');
  if (typeof body.retrievalQuery.text !== 'string')
    return constraintError(body.retrievalQuery.text, 'retrievalQuery.text', 'Member must not be null');
  const n = body.retrievalConfiguration?.vectorSearchConfiguration?.numberOfResults;
  const at = 'retrievalConfiguration.vectorSearchConfiguration.numberOfResults';
  if (n !== undefined && n !== null) {
    if (!Number.isInteger(n)) return constraintError(n, at, 'Member must be an integer');
    if (n < 1) return constraintError(n, at, 'Member must have value greater than or equal to 1');
    if (n > MAX_NUMBER_OF_RESULTS) return constraintError(n, at, `Member must have value less than or equal to ${MAX_NUMBER_OF_RESULTS}`);
  }
  return undefined;
}

function answerRetrieve(
  state: EmulatorState,
  agent: AgentRuntimeState,
  res: ResponseLike,
  requestId: string,
  what: string,
  knowledgeBaseId: string,
  body: RetrieveRequestBody,
): void {
  const query = stripMarkers(body.retrievalQuery?.text ?? '');
  const limit = body.retrievalConfiguration?.vectorSearchConfiguration?.numberOfResults ?? DEFAULT_NUMBER_OF_RESULTS;
  const passages = agent.passages.get(knowledgeBaseId) ?? agent.passages.get('*') ?? defaultPassages(knowledgeBaseId, query);
  const ranked = passages
    .map((passage, index) => ({ passage, index }))
    .sort((a, b) => b.passage.score - a.passage.score || a.index - b.index)
    .slice(0, limit);
  const retrievalResults = ranked.map(({ passage, index }) => {
    const uri = passage.uri ?? `s3://bedrock-emulator-kb/${knowledgeBaseId}/passage-${index + 1}.txt`;
    return {
      content: { text: passage.text, type: 'TEXT' },
      location: { type: 'S3', s3Location: { uri } },
      score: passage.score,
      metadata: {
        'x-amz-bedrock-kb-source-uri': uri,
        'x-amz-bedrock-kb-chunk-id': `bedrock-emulator-${knowledgeBaseId}-${index + 1}`,
        'x-amz-bedrock-kb-data-source-id': 'EMULATORDS',
        ...passage.metadata,
      },
    };
  });
  state.log(`[bedrock-emulator] ${what} -> 200 ${retrievalResults.length} canned passage(s) (numberOfResults ${limit})`);
  writeJson(res, 200, { retrievalResults }, requestId);
}

async function answerInvokeAgent(
  state: EmulatorState,
  agent: AgentRuntimeState,
  res: ResponseLike,
  requestId: string,
  what: string,
  ids: { agentId: string; agentAliasId: string; sessionId: string },
  body: InvokeAgentRequestBody,
  fault: ResolvedFault | undefined,
): Promise<void> {
  const key = `${ids.agentId}\u0000${ids.agentAliasId}\u0000${ids.sessionId}`;
  const history = agent.sessions.get(key) ?? [];
  const inputText = stripMarkers(body.inputText ?? '');
  const context: AgentAnswerContext = { ...ids, inputText, turn: history.length + 1, history: [...history], body };
  let answer: string;
  try {
    answer = typeof agent.agentAnswer === 'function' ? agent.agentAnswer(context) : (agent.agentAnswer ?? defaultAgentAnswer(context));
    if (typeof answer !== 'string') throw new TypeError('agentAnswer function must return a string');
  } catch (err) {
    state.log(`[bedrock-emulator] ${what} -> 500 agentAnswer failed: ${(err as Error).message}`);
    return writeError(
      res,
      { status: 500, type: 'InternalServerException', message: `[bedrock-emulator] agentAnswer function failed: ${(err as Error).message}` },
      requestId,
    );
  }

  // The real service sends the final answer as ONE chunk unless streamingConfigurations.streamFinalResponse is true.
  const streamed = body.streamingConfigurations?.streamFinalResponse === true;
  const tokens = tokenize(answer);
  const chunks = streamed ? tokens : answer.length > 0 ? [answer] : [];
  const streamFault = fault?.kind === 'stream' ? fault : undefined;
  state.log(
    `[bedrock-emulator] ${what} -> 200 ${streamed ? 'streaming' : 'one-chunk'} canned agent answer (${tokens.length} tokens, turn ${context.turn})` +
      (streamFault ? ` with fault ${streamFault.name}` : ''),
  );

  let sent = 0;
  await streamEvents(
    state,
    res,
    what,
    () => `${sent} of ${chunks.length} chunks`,
    async ({ signal, send }) => {
      const sendException = async (): Promise<void> => {
        if (!streamFault) return;
        const type = agentExceptionType(streamFault);
        await send(encodeException(type, streamFault.customMessage ?? AGENT_STREAM_EXCEPTIONS[type].message));
        res.end();
      };
      res.writeHead(200, {
        'content-type': EVENT_STREAM_CONTENT_TYPE,
        'x-amzn-requestid': requestId,
        'x-amzn-bedrock-agent-content-type': 'application/json',
        'x-amz-bedrock-agent-session-id': ids.sessionId,
        ...(typeof body.memoryId === 'string' ? { 'x-amz-bedrock-agent-memory-id': body.memoryId } : {}),
      });
      if (streamFault?.name === 'streamThrottlingBeforeFirstToken') return await sendException();
      for (let i = 0; i <= chunks.length; i++) {
        if (streamFault?.name === 'midStreamError' && i === Math.min(streamFault.afterTokens, chunks.length)) return await sendException();
        if (i === chunks.length) break;
        // One token delay per token: per chunk when streaming, all of them before the single chunk otherwise.
        await sleep(streamed ? state.tokenDelayMs : state.tokenDelayMs * Math.max(1, tokens.length), undefined, { signal });
        await send(encodeChunk(chunks[i] ?? ''));
        state.onToken?.(chunks[i] ?? '');
        sent++;
      }
      res.end();
      if (body.endSession === true) agent.sessions.delete(key);
      else agent.sessions.set(key, [...history, { inputText, answer }]);
    },
  );
}
