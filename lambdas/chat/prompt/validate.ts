/**
 * Validates a parsed request body of the caller-sent-turns modes, `{ message, history?, model? }`, into a
 * {@link ChatRequest}. Throws a 400 {@link ChatError} with a distinct code for each kind of bad input; messages
 * never quote what the caller sent.
 */
import { LIMITS } from '../../../contract/limits';
import { ChatError } from '../http/errors';
import { codePointLength, sanitise } from './sanitise';
import { type ChatTurn, normaliseHistory } from './turns';

export const MAX_MESSAGE_CHARS = LIMITS.maxMessageChars;

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

export function validateChatRequest(body: unknown, choice: ModelChoice): ChatRequest {
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

  const history = normaliseHistory(readHistory(rawHistory));
  return { message, history, modelAlias: chooseModel(model, choice) };
}

const TURN_SHAPE = '{ "role": "user" | "assistant", "content": string }';

/**
 * `history`: absent, null, or an array whose every entry is a {@link TURN_SHAPE} (other properties are
 * ignored). Anything else is refused with 400 `invalid_history` naming the entry: a `system` turn or another
 * role, content that is not a string (content blocks, numbers), an entry that is not an object. Nothing is
 * dropped silently, so a caller never believes the model saw a turn it did not.
 */
export function readHistory(raw: unknown): ChatTurn[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new ChatError(400, 'invalid_history', `"history" must be an array of ${TURN_SHAPE}.`);
  return raw.map((entry: unknown, index): ChatTurn => {
    const at = `history[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new ChatError(400, 'invalid_history', `"${at}" must be an object ${TURN_SHAPE}.`);
    }
    const { role, content } = entry as { role?: unknown; content?: unknown };
    if (role !== 'user' && role !== 'assistant') {
      const why = role === 'system' ? ": the system prompt is the deployment's, never the caller's" : '';
      throw new ChatError(400, 'invalid_history', `"${at}.role" must be "user" or "assistant"${why}.`);
    }
    if (typeof content !== 'string') throw new ChatError(400, 'invalid_history', `"${at}.content" must be a string.`);
    return { role, content };
  });
}

/** `model`: absent or null for the default model, else one of the configured aliases (400 `model_not_allowed`). */
export function chooseModel(model: unknown, { models, defaultModel }: ModelChoice): string {
  if (model === undefined || model === null) return defaultModel;
  if (typeof model !== 'string' || !models.has(model)) {
    throw new ChatError(400, 'model_not_allowed', `"model" must be one of: ${[...models.keys()].join(', ')}.`);
  }
  return model;
}
