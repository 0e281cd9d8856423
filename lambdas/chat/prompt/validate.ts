/**
 * Validates a parsed request body `{ message, history?, model? }` into a {@link ChatRequest}.
 * Throws a 400 {@link ChatError} with a distinct code for each kind of bad input.
 */
import { ChatError } from '../http/errors';
import { normaliseHistory, type ChatTurn } from './turns';
import { codePointLength, sanitise } from './sanitise';

export const MAX_MESSAGE_CHARS = 2000;

export interface ChatRequest {
  /** The sanitised message, 1..{@link MAX_MESSAGE_CHARS} code points. */
  readonly message: string;
  /** Valid for Converse: alternating, starting with a user turn, ending with an assistant turn. */
  readonly history: readonly ChatTurn[];
  /** An alias of the stage's model map. */
  readonly modelAlias: string;
}

export interface ModelChoice {
  readonly models: ReadonlyMap<string, string>;
  readonly defaultModel: string;
}

export function validateChatRequest(body: unknown, { models, defaultModel }: ModelChoice): ChatRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ChatError(400, 'invalid_body', 'The request body must be a JSON object.');
  }
  const { message: rawMessage, history: rawHistory, model } = body as Record<string, unknown>;

  if (rawMessage !== undefined && rawMessage !== null && typeof rawMessage !== 'string') {
    throw new ChatError(400, 'invalid_body', '"message" must be a string.');
  }
  const message = sanitise(rawMessage ?? '');
  if (message === '') {
    throw new ChatError(400, 'message_required', '"message" is required and must contain text.');
  }
  if (codePointLength(message) > MAX_MESSAGE_CHARS) {
    throw new ChatError(400, 'message_too_long', `"message" must be at most ${MAX_MESSAGE_CHARS} characters.`);
  }

  if (rawHistory !== undefined && rawHistory !== null && !Array.isArray(rawHistory)) {
    throw new ChatError(400, 'invalid_history', '"history" must be an array of { "role": "user" | "assistant", "content": string }.');
  }
  const history = normaliseHistory(rawHistory ?? []);

  if (model !== undefined && model !== null && (typeof model !== 'string' || !models.has(model))) {
    throw new ChatError(400, 'model_not_allowed', `"model" must be one of: ${[...models.keys()].join(', ')}.`);
  }
  return { message, history, modelAlias: typeof model === 'string' ? model : defaultModel };
}
