/**
 * Fault catalogue, fault queue and the `[[emulator:fault=<name>]]` in-message marker.
 *
 * Error types, HTTP statuses and messages follow what the real Bedrock Runtime / Bedrock Agent Runtime answer
 * (messages copied from real service responses where known, otherwise the SDK's documentation of the exception).
 */
import type {
  AgentStreamExceptionType,
  AnyStreamExceptionType,
  EmulatedOperation,
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
  notFound: {
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

/** Bedrock Agent Runtime flavour of the HTTP faults (Retrieve, InvokeAgent). `accessDenied` gets a per-request message. */
export const AGENT_HTTP_FAULTS: Record<HttpFaultName, ServiceError> = {
  ...HTTP_FAULTS,
  accessDenied: { status: 403, type: 'AccessDeniedException', message: 'The request is denied because of missing access permissions.' },
  unknownModel: {
    status: 404,
    type: 'ResourceNotFoundException',
    message: "Failed to retrieve resource because it doesn't exist. Retry the request with a different resource identifier.",
  },
  notFound: {
    status: 404,
    type: 'ResourceNotFoundException',
    message: "Failed to retrieve resource because it doesn't exist. Retry the request with a different resource identifier.",
  },
};

/** Exception events of the agent runtime `ResponseStream` union, and the HTTP error Retrieve answers instead. */
export const AGENT_STREAM_EXCEPTIONS: Record<AgentStreamExceptionType, ServiceError> = {
  throttlingException: AGENT_HTTP_FAULTS.throttling,
  internalServerException: AGENT_HTTP_FAULTS.internal,
  dependencyFailedException: {
    status: 424,
    type: 'DependencyFailedException',
    message: 'There was an issue with a dependency. Check the resource configurations and retry the request.',
  },
  badGatewayException: {
    status: 502,
    type: 'BadGatewayException',
    message: 'There was an issue with a dependency due to a server issue. Retry your request.',
  },
  validationException: {
    status: 400,
    type: 'ValidationException',
    message: 'Input validation failed. Check your request parameters and retry the request.',
  },
  resourceNotFoundException: AGENT_HTTP_FAULTS.notFound,
  serviceQuotaExceededException: {
    status: 400,
    type: 'ServiceQuotaExceededException',
    message: 'The number of requests exceeds the service quota. Resubmit your request later.',
  },
  accessDeniedException: AGENT_HTTP_FAULTS.accessDenied,
  conflictException: {
    status: 409,
    type: 'ConflictException',
    message: 'There was a conflict performing an operation. Resolve the conflict and retry your request.',
  },
  modelNotReadyException: {
    status: 424,
    type: 'ModelNotReadyException',
    message: 'The model specified in the request is not ready to serve inference requests. Retry your request later.',
  },
};

const RUNTIME_STREAM_EXCEPTIONS: Record<StreamExceptionType, ServiceError> = {
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

/**
 * Stream exception events, and the HTTP error the non-streaming Converse answers instead
 * (Converse has no event stream; a model stream error surfaces there as 424 ModelErrorException).
 * Keyed by every exception type of both services; the Bedrock Runtime entry wins where both have one.
 */
export const STREAM_EXCEPTIONS: Record<AnyStreamExceptionType, ServiceError> = { ...AGENT_STREAM_EXCEPTIONS, ...RUNTIME_STREAM_EXCEPTIONS };

export const FAULT_NAMES: readonly EmulatorFaultName[] = [
  'throttling',
  'accessDenied',
  'unknownModel',
  'notFound',
  'serviceUnavailable',
  'internal',
  'midStreamError',
  'streamThrottlingBeforeFirstToken',
];

export const OPERATIONS: readonly EmulatedOperation[] = ['Converse', 'ConverseStream', 'Retrieve', 'InvokeAgent'];

const RUNTIME_STREAM_EXCEPTION_TYPES = Object.keys(RUNTIME_STREAM_EXCEPTIONS) as StreamExceptionType[];
export const AGENT_STREAM_EXCEPTION_TYPES = Object.keys(AGENT_STREAM_EXCEPTIONS) as AgentStreamExceptionType[];
const STREAM_EXCEPTION_TYPES = Object.keys(STREAM_EXCEPTIONS) as AnyStreamExceptionType[];

export function isAgentOperation(operation: EmulatedOperation): operation is 'Retrieve' | 'InvokeAgent' {
  return operation === 'Retrieve' || operation === 'InvokeAgent';
}

/** Exception types of the event union of the operation's service. */
export function streamExceptionTypesFor(operation: EmulatedOperation): readonly AnyStreamExceptionType[] {
  return isAgentOperation(operation) ? AGENT_STREAM_EXCEPTION_TYPES : RUNTIME_STREAM_EXCEPTION_TYPES;
}

/** Whether a request of `operation` can take the fault (a stream fault's explicit exception type must exist in that service). */
export function faultAppliesTo(fault: ResolvedFault, operation: EmulatedOperation): boolean {
  return (
    fault.kind !== 'stream' || fault.explicitExceptionType === undefined || streamExceptionTypesFor(operation).includes(fault.explicitExceptionType)
  );
}

/** A fault with every default filled in. */
export type ResolvedFault =
  | { kind: 'http'; name: HttpFaultName; error: ServiceError; customMessage?: string }
  | {
      kind: 'stream';
      name: 'midStreamError' | 'streamThrottlingBeforeFirstToken';
      afterTokens: number;
      /** The exception follows the `metadata` event (ConverseStream). */
      afterMetadata?: boolean;
      /** The Bedrock Runtime default when none was given (agent operations pick their own default then). */
      exceptionType: AnyStreamExceptionType;
      message: string;
      explicitExceptionType?: AnyStreamExceptionType;
      customMessage?: string;
    };

export function resolveFault(fault: EmulatorFault): ResolvedFault {
  const spec = typeof fault === 'string' ? { type: fault } : fault;
  const name = spec.type;
  const message = 'message' in spec && typeof spec.message === 'string' ? spec.message : undefined;
  if (isHttpFaultName(name)) {
    return {
      kind: 'http',
      name,
      error: { ...HTTP_FAULTS[name], ...(message !== undefined ? { message } : {}) },
      ...(message !== undefined ? { customMessage: message } : {}),
    };
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
      ...(name === 'midStreamError' && 'afterMetadata' in spec && spec.afterMetadata === true ? { afterMetadata: true } : {}),
      exceptionType,
      message: message ?? STREAM_EXCEPTIONS[exceptionType].message,
      ...(requested !== undefined ? { explicitExceptionType: requested } : {}),
      ...(message !== undefined ? { customMessage: message } : {}),
    };
  }
  throw new RangeError(`Unknown emulator fault "${String(name)}"; expected one of ${FAULT_NAMES.join(', ')}`);
}

function isHttpFaultName(name: unknown): name is HttpFaultName {
  return typeof name === 'string' && Object.hasOwn(HTTP_FAULTS, name);
}

interface QueueEntry {
  fault: ResolvedFault;
  remaining: number;
  operation: EmulatedOperation | undefined;
}

/**
 * FIFO of programmatically injected faults, each applying to the next `times` requests (of its operation, when
 * scoped to one). `forOperation(op)` gives a view of the same queue whose `take()` serves requests of `op`.
 */
export class FaultQueue {
  constructor(
    private readonly entries: QueueEntry[] = [],
    private readonly operation?: EmulatedOperation,
  ) {}

  add(fault: EmulatorFault, options: InjectFaultOptions = {}): void {
    const times = options.times ?? 1;
    if (!(times === Infinity || (Number.isInteger(times) && times > 0))) {
      throw new RangeError(`times must be a positive integer or Infinity, got ${String(times)}`);
    }
    const { operation } = options;
    if (operation !== undefined && !OPERATIONS.includes(operation)) {
      throw new RangeError(`Unknown operation "${String(operation)}"; expected one of ${OPERATIONS.join(', ')}`);
    }
    const resolved = resolveFault(fault);
    if (operation !== undefined && !faultAppliesTo(resolved, operation)) {
      throw new RangeError(
        `exceptionType "${String(resolved.kind === 'stream' ? resolved.explicitExceptionType : '')}" does not exist for ${operation}; ` +
          `expected one of ${streamExceptionTypesFor(operation).join(', ')}`,
      );
    }
    this.entries.push({ fault: resolved, remaining: times, operation });
  }

  /** A view of this queue serving requests of `operation` (shares the entries). */
  forOperation(operation: EmulatedOperation): FaultQueue {
    return new FaultQueue(this.entries, operation);
  }

  /** The fault for the next request (of `operation`, default this view's), if any (consumes one use). */
  take(operation: EmulatedOperation | undefined = this.operation): ResolvedFault | undefined {
    const index =
      operation === undefined
        ? 0
        : this.entries.findIndex((entry) => (entry.operation ?? operation) === operation && faultAppliesTo(entry.fault, operation));
    const entry = this.entries[index];
    if (index < 0 || !entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.entries.splice(index, 1);
    return entry.fault;
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
    if (key?.trim()) params.set(key.trim(), rest.join('=').trim());
  }
  const name = params.get('fault');
  // A guardrail marker asks for an intervention, not a fault (guardrails.ts).
  if (!name && params.has('guardrail') && params.size === 1) return undefined;
  if (!name) throw new RangeError(`Emulator marker "${match[0]}" has no fault=<name>; expected one of ${FAULT_NAMES.join(', ')}`);
  const afterTokens = params.get('afterTokens');
  return resolveFault({
    type: name,
    ...(afterTokens !== undefined ? { afterTokens: Number(afterTokens) } : {}),
    ...(params.get('afterMetadata') === 'true' ? { afterMetadata: true } : {}),
    ...(params.has('exceptionType') ? { exceptionType: params.get('exceptionType') } : {}),
    ...(params.has('message') ? { message: params.get('message') } : {}),
  } as EmulatorFault);
}
