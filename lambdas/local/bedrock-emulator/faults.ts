/**
 * Fault catalogue, fault queue and the `[[emulator:fault=<name>]]` in-message marker.
 *
 * Error types, HTTP statuses and messages follow what the real Bedrock Runtime answers
 * (messages copied from real service responses where known).
 */
import type {
  EmulatorFault,
  EmulatorFaultName,
  HttpFaultName,
  InjectFaultOptions,
  StreamExceptionType,
} from './types';

export interface ServiceError {
  status: number;
  /** Smithy shape name, sent in `x-amzn-errortype`. */
  type: string;
  message: string;
}

export const HTTP_FAULTS: Record<HttpFaultName, ServiceError> = {
  throttling: { status: 429, type: 'ThrottlingException', message: 'Too many requests, please wait before trying again.' },
  accessDenied: {
    status: 403,
    type: 'AccessDeniedException',
    message: "You don't have access to the model with the specified model ID.",
  },
  unknownModel: {
    status: 404,
    type: 'ResourceNotFoundException',
    message: 'Could not resolve the foundation model from the provided model identifier.',
  },
  serviceUnavailable: { status: 503, type: 'ServiceUnavailableException', message: 'Bedrock is unable to process your request.' },
  internal: {
    status: 500,
    type: 'InternalServerException',
    message: 'The system encountered an unexpected error during processing. Try your request again.',
  },
};

/**
 * Stream exception events, and the HTTP error the non-streaming Converse answers instead
 * (Converse has no event stream; a model stream error surfaces there as 424 ModelErrorException).
 */
export const STREAM_EXCEPTIONS: Record<StreamExceptionType, ServiceError> = {
  modelStreamErrorException: {
    status: 424,
    type: 'ModelErrorException',
    message: 'The system encountered an unexpected error during processing. Try your request again.',
  },
  throttlingException: HTTP_FAULTS.throttling,
  internalServerException: HTTP_FAULTS.internal,
  serviceUnavailableException: HTTP_FAULTS.serviceUnavailable,
  validationException: { status: 400, type: 'ValidationException', message: 'Input is too long for requested model.' },
};

export const FAULT_NAMES: readonly EmulatorFaultName[] = [
  'throttling',
  'accessDenied',
  'unknownModel',
  'serviceUnavailable',
  'internal',
  'midStreamError',
  'streamThrottlingBeforeFirstToken',
];

const STREAM_EXCEPTION_TYPES = Object.keys(STREAM_EXCEPTIONS) as StreamExceptionType[];

/** A fault with every default filled in. */
export type ResolvedFault =
  | { kind: 'http'; name: HttpFaultName; error: ServiceError }
  | {
      kind: 'stream';
      name: 'midStreamError' | 'streamThrottlingBeforeFirstToken';
      afterTokens: number;
      exceptionType: StreamExceptionType;
      message: string;
    };

export function resolveFault(fault: EmulatorFault): ResolvedFault {
  const spec = typeof fault === 'string' ? { type: fault } : fault;
  const name = spec.type;
  const message = 'message' in spec && typeof spec.message === 'string' ? spec.message : undefined;
  if (isHttpFaultName(name)) {
    return { kind: 'http', name, error: { ...HTTP_FAULTS[name], ...(message !== undefined ? { message } : {}) } };
  }
  if (name === 'midStreamError' || name === 'streamThrottlingBeforeFirstToken') {
    const requested = 'exceptionType' in spec ? spec.exceptionType : undefined;
    const exceptionType = requested ?? (name === 'midStreamError' ? 'modelStreamErrorException' : 'throttlingException');
    if (!STREAM_EXCEPTION_TYPES.includes(exceptionType)) {
      throw new RangeError(`Unknown exceptionType "${String(exceptionType)}"; expected one of ${STREAM_EXCEPTION_TYPES.join(', ')}`);
    }
    const afterTokens = name === 'midStreamError' && 'afterTokens' in spec && spec.afterTokens !== undefined ? spec.afterTokens : 3;
    if (name === 'midStreamError' && (!Number.isInteger(afterTokens) || afterTokens < 0)) {
      throw new RangeError(`afterTokens must be a non-negative integer, got ${String(afterTokens)}`);
    }
    return {
      kind: 'stream',
      name,
      afterTokens: name === 'midStreamError' ? afterTokens : 0,
      exceptionType,
      message: message ?? STREAM_EXCEPTIONS[exceptionType].message,
    };
  }
  throw new RangeError(`Unknown emulator fault "${String(name)}"; expected one of ${FAULT_NAMES.join(', ')}`);
}

function isHttpFaultName(name: unknown): name is HttpFaultName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(HTTP_FAULTS, name);
}

/** FIFO of programmatically injected faults, each applying to the next `times` requests. */
export class FaultQueue {
  private readonly entries: Array<{ fault: ResolvedFault; remaining: number }> = [];

  add(fault: EmulatorFault, options: InjectFaultOptions = {}): void {
    const times = options.times ?? 1;
    if (!(times === Infinity || (Number.isInteger(times) && times > 0))) {
      throw new RangeError(`times must be a positive integer or Infinity, got ${String(times)}`);
    }
    this.entries.push({ fault: resolveFault(fault), remaining: times });
  }

  /** The fault for the next request, if any (consumes one use). */
  take(): ResolvedFault | undefined {
    const head = this.entries[0];
    if (!head) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) this.entries.shift();
    return head.fault;
  }

  clear(): void {
    this.entries.length = 0;
  }
}

const MARKER = /\[\[emulator:([^\]]*)\]\]/;
const MARKER_GLOBAL = /\[\[emulator:[^\]]*\]\]/g;

export function stripMarkers(text: string): string {
  return text.replace(MARKER_GLOBAL, '');
}

/**
 * Parses `[[emulator:fault=midStreamError,afterTokens=5,exceptionType=throttlingException]]` from a message text.
 * Returns undefined without a marker; throws RangeError for a malformed one.
 */
export function parseMarker(text: string): ResolvedFault | undefined {
  const match = MARKER.exec(text);
  if (!match) return undefined;
  const params = new Map<string, string>();
  for (const part of (match[1] ?? '').split(',')) {
    const [key, ...rest] = part.split('=');
    if (key && key.trim()) params.set(key.trim(), rest.join('=').trim());
  }
  const name = params.get('fault');
  if (!name) throw new RangeError(`Emulator marker "${match[0]}" has no fault=<name>; expected one of ${FAULT_NAMES.join(', ')}`);
  const afterTokens = params.get('afterTokens');
  return resolveFault({
    type: name,
    ...(afterTokens !== undefined ? { afterTokens: Number(afterTokens) } : {}),
    ...(params.has('exceptionType') ? { exceptionType: params.get('exceptionType') } : {}),
    ...(params.has('message') ? { message: params.get('message') } : {}),
  } as EmulatorFault);
}
