/**
 * A public Function URL (`CHAT_AUTH_MODE=public`): anyone may call, and the caller is the source address (an IPv6
 * address by its /64, auth/source-address.ts), so the per-caller rate limit is a per-address limit. Used where
 * something else proves who pays for the work: the caller's own AWS credentials sign every Bedrock call.
 */
import type { FunctionUrlEvent } from '../http/event';
import type { Authenticator } from './authenticator';
import { caller } from './caller';
import { sourceAddressKey } from './source-address';

export function publicAuthenticator(): Authenticator {
  return {
    method: 'public',
    authenticate: async (event: FunctionUrlEvent) => caller('ip', sourceAddressKey(event.requestContext?.http?.sourceIp)),
  };
}
