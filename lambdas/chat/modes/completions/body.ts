/**
 * The body of a completions request: like every chat request (base64 Function URL bodies, JSON), but up to
 * `LIMITS.maxCompletionsBodyBytes`, because images travel inline as data URLs.
 */
import { LIMITS } from '../../../../contract/limits';
import { ChatError } from '../../http/errors';
import type { FunctionUrlEvent } from '../../http/event';

export function readCompletionsBody(event: FunctionUrlEvent): unknown {
  const buffer = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  if (buffer.length > LIMITS.maxCompletionsBodyBytes) {
    throw new ChatError(413, 'payload_too_large', `The request body must be at most ${LIMITS.maxCompletionsBodyBytes} bytes.`);
  }
  try {
    return JSON.parse(buffer.toString('utf8'));
  } catch {
    throw new ChatError(400, 'invalid_json', 'The request body must be valid JSON.');
  }
}
