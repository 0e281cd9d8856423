/**
 * Public types of the local Amazon Bedrock Runtime emulator.
 *
 * The emulator answers with CANNED text: no model is ever called.
 */

/** Faults answered with a non-200 HTTP response (the SDK throws from `send()`). */
export type HttpFaultName = 'throttling' | 'accessDenied' | 'unknownModel' | 'serviceUnavailable' | 'internal';

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

export interface HttpFault {
  type: HttpFaultName;
  /** Overrides the realistic default error message. */
  message?: string;
}

export interface MidStreamErrorFault {
  type: 'midStreamError';
  /** Number of `contentBlockDelta` events sent before the exception event (default 3). */
  afterTokens?: number;
  /** Default `modelStreamErrorException`. */
  exceptionType?: StreamExceptionType;
  message?: string;
}

export interface StreamThrottlingBeforeFirstTokenFault {
  type: 'streamThrottlingBeforeFirstToken';
  /** Default `throttlingException`. */
  exceptionType?: StreamExceptionType;
  message?: string;
}

/** A fault name (defaults for everything) or a fault object with overrides. */
export type EmulatorFault = EmulatorFaultName | HttpFault | MidStreamErrorFault | StreamThrottlingBeforeFirstTokenFault;

export interface InjectFaultOptions {
  /** How many requests the fault applies to before normal behaviour resumes (default 1; `Infinity` allowed). */
  times?: number;
}

export type EmulatedOperation = 'ConverseStream' | 'Converse';

/** The subset of the Converse / ConverseStream request body the emulator looks at (everything else is kept as is). */
export interface ConverseRequestBody {
  messages?: Array<{ role?: string; content?: Array<Record<string, unknown>> }>;
  system?: Array<Record<string, unknown>>;
  inferenceConfig?: { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] };
  [key: string]: unknown;
}

export interface RecordedRequest {
  operation: EmulatedOperation;
  /** URL-decoded model id / inference profile id / ARN. */
  modelId: string;
  /** Parsed JSON body. */
  body: ConverseRequestBody;
  /** Lower-case request headers (HTTP/2 pseudo-headers removed), including `authorization`. */
  headers: Record<string, string>;
  /** `2.0` for the SDK (h2c), `1.1` for e.g. plain curl. */
  httpVersion: string;
  /** The fault applied to this request, if any. */
  fault?: EmulatorFaultName;
}

/** What an `answer` function receives. */
export interface AnswerContext {
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
  /** Delay before each streamed token (default 5 ms). */
  tokenDelayMs?: number;
  /** Canned answer, or a function building it from the request. Default: an answer that says it is canned. */
  answer?: string | ((request: AnswerContext) => string);
  /** Model ids accepted; any other (well-formed) id answers 404 ResourceNotFoundException. Undefined = any id accepted. */
  knownModels?: string[];
  /** Estimated input tokens above which requests answer 400 "Input is too long for requested model." (default 200000). */
  maxInputTokens?: number;
  /** Receives one line per event (start, each request). Default: no-op. */
  log?: (line: string) => void;
}

export interface BedrockEmulator {
  /** e.g. `http://127.0.0.1:PORT` — use as the client's `endpoint` or as AWS_ENDPOINT_URL_BEDROCK_RUNTIME. */
  readonly url: string;
  readonly port: number;
  /** Every Converse / ConverseStream request received, in order (live array; cleared by `reset()`). */
  readonly requests: RecordedRequest[];
  /** ConverseStream responses currently being written (drops to 0 when clients disconnect mid-stream). */
  readonly activeStreamCount: number;
  injectFault(fault: EmulatorFault, options?: InjectFaultOptions): void;
  clearFaults(): void;
  /** Clears recorded requests and injected faults. */
  reset(): void;
  setTokenDelay(ms: number): void;
  /** Aborts in-flight streams, destroys every open HTTP/2 session and socket, stops listening. */
  close(): Promise<void>;
}
