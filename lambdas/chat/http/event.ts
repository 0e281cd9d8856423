/**
 * The Lambda Function URL event (payload format 2.0), and reading the parts the chat runtime uses.
 *
 * Every field is optional here on purpose: the runtime must answer a malformed or partial event with a
 * clean error, never crash on it.
 */
import { LIMITS } from '../../../contract/limits';
import { ChatError } from './errors';

export interface FunctionUrlEvent {
  readonly version?: string;
  readonly rawPath?: string;
  readonly rawQueryString?: string;
  /** Lower-case names; repeated headers joined with commas. */
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly requestContext?: FunctionUrlRequestContext;
}

export interface FunctionUrlRequestContext {
  readonly requestId?: string;
  readonly http?: { readonly method?: string; readonly path?: string; readonly sourceIp?: string; readonly userAgent?: string };
  readonly authorizer?: { readonly iam?: IamAuthorizer | null } | null;
}

/** `requestContext.authorizer.iam` of an `AWS_IAM` Function URL. */
export interface IamAuthorizer {
  readonly accessKey?: string;
  readonly accountId?: string;
  readonly callerId?: string;
  readonly userArn?: string;
  readonly userId?: string;
  readonly cognitoIdentity?: {
    readonly amr?: readonly string[];
    readonly identityId?: string;
    readonly identityPoolId?: string;
  } | null;
}

/** The part of the Lambda context object the runtime uses. */
export interface InvocationContext {
  readonly awsRequestId: string;
  /** The function's name (Lambda's context carries it; test contexts may not). */
  readonly functionName?: string;
  getRemainingTimeInMillis(): number;
}

/** Bodies above this are refused with 413 before being parsed (a valid request is a few KB at most). */
export const MAX_BODY_BYTES = LIMITS.maxBodyBytes;

export function assertPost(event: FunctionUrlEvent): void {
  const method = event.requestContext?.http?.method ?? '';
  if (method.toUpperCase() !== 'POST') {
    throw new ChatError(405, 'method_not_allowed', 'Only POST is supported.', { allow: 'POST' });
  }
}

/** Decodes (`isBase64Encoded`) and parses the JSON body. */
export function readJsonBody(event: FunctionUrlEvent): unknown {
  // The Function URL front end already caps payloads at 6 MB, so decoding before measuring is cheap.
  const buffer = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  if (buffer.length > MAX_BODY_BYTES) {
    throw new ChatError(413, 'payload_too_large', `The request body must be at most ${MAX_BODY_BYTES} bytes.`);
  }
  try {
    return JSON.parse(buffer.toString('utf8'));
  } catch {
    throw new ChatError(400, 'invalid_json', 'The request body must be valid JSON.');
  }
}

/** True when the caller asked for Server-Sent Events (`Accept: text/event-stream`). */
export function wantsEventStream(event: FunctionUrlEvent): boolean {
  return /(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(event.headers?.accept ?? '');
}

/** The query string parameters (`rawQueryString`); the first value of a repeated name wins. */
export function queryParameters(event: FunctionUrlEvent): ReadonlyMap<string, string> {
  const params = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(event.rawQueryString ?? '')) {
    if (!params.has(name)) params.set(name, value);
  }
  return params;
}
