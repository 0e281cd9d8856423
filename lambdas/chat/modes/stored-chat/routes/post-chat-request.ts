/**
 * Validates a parsed `POST /chat` body `{ prompt, chat_id? }` (the JWT modes). The prompt gets exactly the
 * treatment of the IAM mode's `message` (sanitise, then 1..{@link MAX_MESSAGE_CHARS} code points).
 * `chat_id` must be a string when present; whether it names one of the caller's chats is the history
 * store's question (anything else is 404 `chat_not_found`, never a hint that the id exists).
 */
import { ChatError } from '../http/errors';
import { codePointLength, sanitise } from './sanitise';
import { MAX_MESSAGE_CHARS } from './validate';

export interface PromptRequest {
  /** Sanitised, 1..{@link MAX_MESSAGE_CHARS} code points. */
  readonly prompt: string;
  /** Absent: a new chat. */
  readonly chatId?: string;
}

export function validatePromptRequest(body: unknown): PromptRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ChatError(400, 'invalid_body', 'The request body must be a JSON object.');
  }
  const { prompt: rawPrompt, chat_id: chatId } = body as Record<string, unknown>;
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
  return typeof chatId === 'string' ? { prompt, chatId } : { prompt };
}
