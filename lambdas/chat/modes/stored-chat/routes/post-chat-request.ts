/**
 * Validates a parsed `POST /chat` body `{ prompt, chat_id?, model? }`. The prompt gets exactly the treatment
 * of the caller-sent-turns modes' `message` (sanitise, then 1..{@link MAX_MESSAGE_CHARS} code points).
 * `chat_id` must be a string when present; whether it names one of the caller's chats is the history
 * store's question (anything else is 404 `chat_not_found`, never a hint that the id exists). `model` is
 * checked by the answer backend (`chooseModel`), as the caller-sent-turns modes check it.
 */
import { ChatError } from '../../../http/errors';
import { codePointLength, sanitise } from '../../../prompt/sanitise';
import { MAX_MESSAGE_CHARS } from '../../../prompt/validate';

export interface PromptRequest {
  /** Sanitised, 1..{@link MAX_MESSAGE_CHARS} code points. */
  readonly prompt: string;
  /** As sent: not validated yet, so never logged as it is. Absent: a new chat. */
  readonly chatId?: string;
  /** The model alias the backend chose for the request's `model`; undefined for a backend without a choice. */
  readonly model: string | undefined;
}

export function validatePromptRequest(body: unknown, chooseModel: (requested: unknown) => string | undefined): PromptRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ChatError(400, 'invalid_body', 'The request body must be a JSON object.');
  }
  const { prompt: rawPrompt, chat_id: chatId, model } = body as Record<string, unknown>;
  if (rawPrompt !== undefined && rawPrompt !== null && typeof rawPrompt !== 'string') {
    throw new ChatError(400, 'invalid_body', '"prompt" must be a string.');
  }
  const prompt = sanitise(rawPrompt ?? '');
  if (prompt === '') throw new ChatError(400, 'prompt_required', '"prompt" is required and must contain text.');
  if (codePointLength(prompt) > MAX_MESSAGE_CHARS) {
    throw new ChatError(400, 'prompt_too_long', `"prompt" must be at most ${MAX_MESSAGE_CHARS} characters.`);
  }
  if (chatId !== undefined && chatId !== null && typeof chatId !== 'string') {
    throw new ChatError(400, 'invalid_body', '"chat_id" must be a string.');
  }
  const chosen = chooseModel(model);
  return typeof chatId === 'string' ? { prompt, chatId, model: chosen } : { prompt, model: chosen };
}
