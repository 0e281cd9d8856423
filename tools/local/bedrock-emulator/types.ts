import type { EmulatorGuardrail, GroundingAssessment } from './grounding';
import type { EmulatorPrincipal, EmulatorRole, IssuedRoleCredentials } from './principals';

/**
 * Public types of the local Amazon Bedrock Runtime / Bedrock Agent Runtime emulator.
 *
 * The emulator answers with CANNED text and CANNED passages: no model, agent or knowledge base is ever called.
 */

/**
 * Faults answered with a non-200 HTTP response (the SDK throws from `send()`).
 *
 * `notFound` and `unknownModel` are aliases: both answer 404 ResourceNotFoundException, with the model message on
 * Converse / ConverseStream and the agent / knowledge-base message on Retrieve / InvokeAgent.
 * `serviceUnavailable` (503) is not modelled by the Bedrock Agent Runtime SDK: it surfaces there as a plain
 * `BedrockAgentRuntimeServiceException` named `ServiceUnavailableException`.
 */
export type HttpFaultName = 'throttling' | 'accessDenied' | 'unknownModel' | 'notFound' | 'serviceUnavailable' | 'internal';

/** Faults answered with HTTP 200 and an exception event inside the event stream. */
export type StreamFaultName = 'midStreamError' | 'streamThrottlingBeforeFirstToken';

export type EmulatorFaultName = HttpFaultName | StreamFaultName;

/** `:exception-type` values of ConverseStream exception events (members of the `ConverseStreamOutput` union). */
export type StreamExceptionType =
  | 'modelStreamErrorException'
  | 'throttlingException'
  | 'internalServerException'
  | 'serviceUnavailableException'
  | 'validationException';

/** `:exception-type` values of InvokeAgent exception events (members of the agent runtime `ResponseStream` union). */
export type AgentStreamExceptionType =
  | 'throttlingException'
  | 'internalServerException'
  | 'dependencyFailedException'
  | 'badGatewayException'
  | 'validationException'
  | 'resourceNotFoundException'
  | 'serviceQuotaExceededException'
  | 'accessDeniedException'
  | 'conflictException'
  | 'modelNotReadyException';

/**
 * An exception event type of either service. A stream fault with an explicit `exceptionType` only applies to the
 * operations whose event union has that member (e.g. `dependencyFailedException` only to Retrieve / InvokeAgent,
 * `modelStreamErrorException` only to Converse / ConverseStream); non-streaming operations answer the matching
 * HTTP error instead.
 */
export type AnyStreamExceptionType = StreamExceptionType | AgentStreamExceptionType;

export interface HttpFault {
  type: HttpFaultName;
  /** Overrides the realistic default error message. */
  message?: string;
}

export interface MidStreamErrorFault {
  type: 'midStreamError';
  /** Number of `contentBlockDelta` (ConverseStream) or `chunk` (InvokeAgent) events sent before the exception event (default 3). */
  afterTokens?: number;
  /**
   * ConverseStream: the whole answer, `messageStop` and the `metadata` event (the usage reported) go out first, then
   * the exception event: a stream that fails after Bedrock reported what it used. `afterTokens` is then ignored.
   */
  afterMetadata?: boolean;
  /** Default `modelStreamErrorException` on Converse / ConverseStream, `dependencyFailedException` on Retrieve / InvokeAgent. */
  exceptionType?: AnyStreamExceptionType;
  message?: string;
}

export interface StreamThrottlingBeforeFirstTokenFault {
  type: 'streamThrottlingBeforeFirstToken';
  /** Default `throttlingException`. */
  exceptionType?: AnyStreamExceptionType;
  message?: string;
}

/** A fault name (defaults for everything) or a fault object with overrides. */
export type EmulatorFault = EmulatorFaultName | HttpFault | MidStreamErrorFault | StreamThrottlingBeforeFirstTokenFault;

export interface InjectFaultOptions {
  /** How many requests the fault applies to before normal behaviour resumes (default 1; `Infinity` allowed). */
  times?: number;
  /**
   * Only requests of this operation take (and consume) the fault; requests of other operations pass it by.
   * Default: the next request of any operation the fault applies to.
   */
  operation?: EmulatedOperation;
}

/** Bedrock Runtime operations. */
export type RuntimeOperation = 'ConverseStream' | 'Converse';
/** Bedrock Agent Runtime operations. */
export type AgentRuntimeOperation = 'Retrieve' | 'InvokeAgent';
export type EmulatedOperation = RuntimeOperation | AgentRuntimeOperation;

/** The subset of the Converse / ConverseStream request body the emulator looks at (everything else is kept as is). */
export interface ConverseRequestBody {
  messages?: Array<{ role?: string; content?: Array<Record<string, unknown>> }>;
  system?: Array<Record<string, unknown>>;
  inferenceConfig?: { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] };
  /** `{ tools: [{ toolSpec: { name, description, inputSchema: { json } } }], toolChoice?: { auto } | { any } | { tool: { name } } }`. */
  toolConfig?: Record<string, unknown>;
  /** `{ textFormat: { type: 'json_schema', structure: { jsonSchema: { schema, name?, description? } } } }`. */
  outputConfig?: Record<string, unknown>;
  /** `{ guardrailIdentifier, guardrailVersion, trace?, streamProcessingMode? }` (guardrails.ts). */
  guardrailConfig?: { guardrailIdentifier?: unknown; guardrailVersion?: unknown; trace?: unknown; streamProcessingMode?: unknown };
  [key: string]: unknown;
}

/** A tool call the emulator answers with (a `toolUse` block). */
export interface EmulatorToolCall {
  name: string;
  input: Record<string, unknown>;
  /** Default: a stable id derived from the request (`tooluse_…`). */
  toolUseId?: string;
}

/** An answer with more than text: text first (may be empty), then tool calls (stop reason `tool_use`). */
export interface EmulatorAnswer {
  text?: string;
  toolCalls?: EmulatorToolCall[];
}

/** The subset of the Retrieve request body the emulator looks at. */
export interface RetrieveRequestBody {
  retrievalQuery?: { text?: string; [key: string]: unknown };
  retrievalConfiguration?: { vectorSearchConfiguration?: { numberOfResults?: number; [key: string]: unknown }; [key: string]: unknown };
  [key: string]: unknown;
}

/** The subset of the InvokeAgent request body the emulator looks at. */
export interface InvokeAgentRequestBody {
  inputText?: string;
  endSession?: boolean;
  enableTrace?: boolean;
  memoryId?: string;
  sessionState?: Record<string, unknown>;
  streamingConfigurations?: { streamFinalResponse?: boolean; applyGuardrailInterval?: number };
  [key: string]: unknown;
}

export interface RecordedRequest {
  operation: EmulatedOperation;
  /** URL-decoded model id / inference profile id / ARN (Converse / ConverseStream); `''` for Retrieve and InvokeAgent. */
  modelId: string;
  /** Retrieve only: URL-decoded knowledge base id. */
  knowledgeBaseId?: string;
  /** InvokeAgent only: URL-decoded agent id, alias id and session id. */
  agentId?: string;
  agentAliasId?: string;
  sessionId?: string;
  /** Parsed JSON body (fields of the operation's request body; the others are absent). */
  body: ConverseRequestBody & RetrieveRequestBody & InvokeAgentRequestBody;
  /** Lower-case request headers (HTTP/2 pseudo-headers removed), including `authorization`. */
  headers: Record<string, string>;
  /** `2.0` for the SDK (h2c), `1.1` for e.g. plain curl. */
  httpVersion: string;
  /** Converse / ConverseStream with a guardrail: the intervention the message asked for (guardrails.ts). */
  guardrailIntervention?: 'input' | 'output';
  /** Converse / ConverseStream: the contextual grounding check of the answer, when the guardrail has one (grounding.ts). */
  contextualGrounding?: GroundingAssessment;
  /** The fault applied to this request, if any. */
  fault?: EmulatorFaultName;
  /** The access key id whose signature the emulator verified (only when it knows `principals`). */
  principal?: string;
}

/** A request refused before its operation ran: not signed, signed badly, expired, or not allowed. */
export interface RejectedRequest {
  /** `ConverseStream`, `Retrieve`, …, or `AssumeRole`. */
  readonly operation: string;
  /** The access key id the request claimed, if it named one. */
  readonly accessKeyId: string | undefined;
  /** What was answered: `UnrecognizedClientException`, `InvalidSignatureException`, `AccessDenied`, … */
  readonly errorType: string;
}

/** What an `answer` function receives. */
export interface AnswerContext {
  /** Always `Converse` or `ConverseStream`. */
  operation: EmulatedOperation;
  modelId: string;
  body: ConverseRequestBody;
  /** Text of the last user message, with any `[[emulator:...]]` marker removed. */
  lastUserText: string;
}

export interface BedrockEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /**
   * Serve HTTPS (HTTP/2 over TLS, HTTP/1.1 by ALPN) with this key and certificate instead of h2c, as Bedrock is
   * reached in AWS; `url` is then `https://…` (see tools/local/tls.ts for a local certificate).
   */
  tls?: { key: string; cert: string };
  /** Delay before each streamed token (default 5 ms). */
  tokenDelayMs?: number;
  /**
   * Canned answer, or a function building it from the request (text, or text and tool calls). Default: an answer
   * that says it is canned; with tools, tool results, images or a structured-output schema see answers.ts.
   */
  answer?: string | EmulatorAnswer | ((request: AnswerContext) => string | EmulatorAnswer);
  /** Models that accept `outputConfig.textFormat` (structured output); others answer 400 ValidationException. Undefined = every model. */
  structuredOutputModels?: string[];
  /** Model ids accepted; any other (well-formed) id answers 404 ResourceNotFoundException. Undefined = any id accepted. */
  knownModels?: string[];
  /**
   * Guardrails with a contextual grounding check, by guardrail id (or ARN; `'*'`: any guardrail without its own
   * entry). A call naming one of them with `grounding_source` and `query` blocks gets its answer scored and
   * blocked below a threshold (grounding.ts). Undefined: no guardrail checks grounding.
   */
  guardrails?: Record<string, EmulatorGuardrail>;
  /** Estimated input tokens above which requests answer 400 "Input is too long for requested model." (default 200000). */
  maxInputTokens?: number;
  /** Receives one line per event (start, each request). Default: no-op. */
  log?: (line: string) => void;
  /** Called as each streamed text chunk (ConverseStream delta, InvokeAgent chunk) is handed to the connection. */
  onToken?: (text: string) => void;
  /** Knowledge base ids accepted by Retrieve; any other answers 404 ResourceNotFoundException. Undefined = any id accepted. */
  knownKnowledgeBases?: string[];
  /** Agent ids accepted by InvokeAgent; any other answers 404 ResourceNotFoundException. Undefined = any id accepted. */
  knownAgents?: string[];
  /** Initial Retrieve passages per knowledge base id (`'*'`: any knowledge base without its own); see `setPassages`. */
  passages?: Record<string, readonly EmulatorPassage[]>;
  /** Canned InvokeAgent answer, or a function building it. Default: an answer that says it is canned and echoes the session id, turn and input. */
  agentAnswer?: string | ((request: AgentAnswerContext) => string);
  /**
   * The access keys it accepts. Given (even empty), every request's SigV4 signature is verified against them, and
   * what it may call is checked: the errors are AWS's own (`MissingAuthenticationTokenException`,
   * `UnrecognizedClientException`, `InvalidSignatureException`, `ExpiredTokenException`, `AccessDeniedException`).
   * Undefined: signatures are not checked (any request is served). See principals.ts.
   */
  principals?: readonly EmulatorPrincipal[];
  /** Roles STS `AssumeRole` hands out (`POST /` in the awsQuery protocol, reached with `AWS_ENDPOINT_URL_STS`). */
  roles?: readonly EmulatorRole[];
  /** Epoch milliseconds: when credentials expire and how long issued ones last. @default Date.now */
  now?: () => number;
}

/** A Retrieve result the emulator returns. */
export interface EmulatorPassage {
  text: string;
  /** Relevance score; results are returned by descending score. */
  score: number;
  /** S3 location URI. Default `s3://bedrock-emulator-kb/<knowledgeBaseId>/passage-<n>.txt`. */
  uri?: string;
  /** Merged over the `x-amz-bedrock-kb-*` metadata the service adds (source URI, chunk id, data source id). */
  metadata?: Record<string, unknown>;
}

/** One completed InvokeAgent turn of a session. */
export interface AgentTurn {
  inputText: string;
  answer: string;
}

/** What an `agentAnswer` function receives. */
export interface AgentAnswerContext {
  agentId: string;
  agentAliasId: string;
  sessionId: string;
  /** `inputText` with any `[[emulator:...]]` marker removed. */
  inputText: string;
  /** 1 for the first call of a session, 2 for the second, … */
  turn: number;
  /** Earlier completed turns of this session (agent id + alias id + session id), oldest first. */
  history: readonly AgentTurn[];
  body: InvokeAgentRequestBody;
}

export interface BedrockEmulator {
  /** e.g. `http://127.0.0.1:PORT` — use as the clients' `endpoint`, or as AWS_ENDPOINT_URL_BEDROCK_RUNTIME and AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME. */
  readonly url: string;
  readonly port: number;
  /** Every Converse / ConverseStream / Retrieve / InvokeAgent request received, in order (live array; cleared by `reset()`). */
  readonly requests: RecordedRequest[];
  /** ConverseStream and InvokeAgent responses currently being written (drops to 0 when clients disconnect mid-stream). */
  readonly activeStreamCount: number;
  /** Requests refused by authentication or authorization (live array; cleared by `reset()`). */
  readonly rejected: readonly RejectedRequest[];
  /** Credentials STS AssumeRole handed out, oldest first. */
  readonly issuedCredentials: readonly IssuedRoleCredentials[];
  addPrincipal(principal: EmulatorPrincipal): void;
  addRole(role: EmulatorRole): void;
  /** Makes the credentials of this access key expired from now on (its next request answers ExpiredTokenException). */
  expireCredentials(accessKeyId: string): void;
  injectFault(fault: EmulatorFault, options?: InjectFaultOptions): void;
  clearFaults(): void;
  /** Clears recorded requests, injected faults, the prompt cache and InvokeAgent session memory (configured passages are kept). */
  reset(): void;
  setTokenDelay(ms: number): void;
  /**
   * Retrieve results for one knowledge base id, or `'*'` for every knowledge base without its own passages.
   * Replaces earlier passages for that id; an empty array makes Retrieve return no results.
   */
  setPassages(knowledgeBaseId: string, passages: readonly EmulatorPassage[]): void;
  /** Forgets every configured passage: Retrieve returns the canned default passages again. */
  clearPassages(): void;
  /** Aborts in-flight streams, destroys every open HTTP/2 session and socket, stops listening. */
  close(): Promise<void>;
}
