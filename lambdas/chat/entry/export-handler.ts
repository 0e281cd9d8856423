/**
 * The `handler` every entry exports: its stream handler marked for response streaming by the Lambda
 * runtime's `awslambda.streamifyResponse`, or the stream handler itself where there is no `awslambda`
 * (the module imported by tests or tools).
 */

import type { StreamHandler } from '../core/invocation';
import type { LambdaRuntimeGlobal } from '../http/response-stream';

// Set by the Lambda Node.js runtime; absent when the module is imported elsewhere (tests, tools).
declare const awslambda: LambdaRuntimeGlobal | undefined;

export function exportHandler(streamHandler: StreamHandler): StreamHandler {
  return typeof awslambda !== 'undefined' && typeof awslambda.streamifyResponse === 'function'
    ? awslambda.streamifyResponse(streamHandler)
    : streamHandler;
}
