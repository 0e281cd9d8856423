/**
 * Connections opened as an invocation starts: TCP and TLS to DynamoDB and Bedrock run while the handler reads the
 * event and checks the caller (a token's JWKS fetch and signature, the limiter's signing), so the first
 * `UpdateItem` and `ConverseStream` of a cold start find their connection up instead of opening it then. A client
 * opens none when it keeps one idle, and at most one otherwise (aws/https-caller.ts `preconnect`); a function
 * whose clients are per request (caller credentials) or per credential set (an assumed role) has none to open.
 */
import type { StreamHandler } from '../../core/invocation';

/** A client, or a client source, that can open its connection ahead of its first call. */
export interface Preconnectable {
  readonly preconnect?: () => void;
}

export function preconnecting(handler: StreamHandler, clients: readonly Preconnectable[]): StreamHandler {
  return (event, responseStream, context) => {
    for (const client of clients) client.preconnect?.();
    return handler(event, responseStream, context);
  };
}
