/**
 * What an invocation starts before the handler needs it: the issuer's key set when a token will be checked and none
 * is cached (auth/remote-key-set.ts), and TCP and TLS to DynamoDB and Bedrock, so the first `UpdateItem` and
 * `ConverseStream` of a cold start find their connection up instead of opening it then. They start on the event
 * loop's next turn, once the handler's first request (the limiter's `UpdateItem`, or the key set's fetch) has left,
 * and in the order given (the key set first: checking the token waits for it). A client opens no connection when it
 * keeps one idle or in use, and at most one otherwise (aws/https-caller.ts `preconnect`); a function whose clients
 * are per request (caller credentials) or per credential set (an assumed role) has none to open.
 */
import type { StreamHandler } from '../../core/invocation';

/** A client, a client source or an authenticator that can start its work ahead of the request's first call. */
export interface Preconnectable {
  readonly preconnect?: () => void;
}

export function preconnecting(handler: StreamHandler, clients: readonly Preconnectable[]): StreamHandler {
  return (event, responseStream, context) => {
    setImmediate(() => {
      for (const client of clients) client.preconnect?.();
    });
    return handler(event, responseStream, context);
  };
}
