/**
 * `POST /chat` `{ "prompt": "…", "chat_id"?: "…", "model"?: "…" }`: answers the prompt and stores the turn.
 *
 * 1. Validate the body (`model` as the answer backend allows: an alias of `CHAT_MODELS`, none for an agent).
 *    A `chat_id` that cannot be a chat id is 404 at once (and never logged); for another, read the chat's
 *    header (404 unless it is one of the caller's chats)
 *    and, for the model backend, its latest turns, in parallel. A new chat gets a random id and a title
 *    from its prompt before the answer starts (the agent's session is named after the chat).
 * 2. Generate, streaming deltas to the client with `Accept: text/event-stream`, collecting them otherwise.
 *    An answer reaching {@link MAX_ANSWER_BYTES} is cut there (the client gets exactly what is stored) and
 *    generation stops, with stop reason {@link ANSWER_SIZE_LIMIT_STOP_REASON}. The user's budget counts the usage
 *    Bedrock reported, or, for an answer that failed or was cut, what it used so far (bedrock/usage-tally.ts).
 * 3. Append the turn (a failed answer writes nothing, not even a new chat's header).
 * 4. Answer `{ response, chat }` as JSON, or an SSE `done` event `{ response, chat, usage?, stopReason? }`.
 *    `chat.messages` holds the turn just added; `GET /chats/{id}` returns all of them.
 */
import type { TokenUsage } from '../../../bedrock/converse-stream';
import { endIfGuardrailIntervened } from '../../../bedrock/errors';
import { UsageTally } from '../../../bedrock/usage-tally';
import {
  type ChatHeader,
  type ChatJson,
  type ChatStore,
  chatJson,
  chatNotFound,
  isChatId,
  MAX_ANSWER_BYTES,
  newChatId,
  type StoredTurn,
} from '../../../chats/chat-store';
import { chatTitle } from '../../../chats/title';
import { readJsonBody } from '../../../http/event';
import { codePointLength } from '../../../prompt/sanitise';
import type { AnswerBackend, AnswerResult } from '../answer-backend';
import { validatePromptRequest } from './post-chat-request';
import type { RouteContext } from './route-context';

/** The SSE `done` event of `POST /chat`: the complete answer and the chat it was stored in. */
export interface ChatDoneEvent {
  readonly response: string;
  readonly chat: ChatJson;
  /** Absent for the agent backend, which reports no token usage. */
  readonly usage?: TokenUsage;
  /** Absent for the agent backend, which reports no stop reason. */
  readonly stopReason?: string;
}

export const ANSWER_SIZE_LIMIT_STOP_REASON = 'answer_size_limit';

/** The abort reason when the answer reached {@link MAX_ANSWER_BYTES}. */
export class AnswerSizeLimitReached extends Error {
  public readonly name = 'AnswerSizeLimitReached';
}

export async function postChat(ctx: RouteContext, store: ChatStore, backend: AnswerBackend): Promise<void> {
  const { subject, facts, response } = ctx;
  const requestBody = readJsonBody(ctx.event);
  const request = validatePromptRequest(requestBody, backend.chooseModel);
  Object.assign(facts, { backend: backend.kind, model: request.model, promptChars: codePointLength(request.prompt) });
  // Only a well-formed id reaches the log (or DynamoDB): anything else names no chat of anyone's.
  if (request.chatId !== undefined && !isChatId(request.chatId)) throw chatNotFound();
  const newChat = request.chatId === undefined;
  const chatId = request.chatId ?? newChatId();
  Object.assign(facts, { chatId, newChat });

  let history: StoredTurn[] = [];
  let header: ChatHeader | undefined;
  if (!newChat) {
    [header, history] = await Promise.all([store.getChat(subject, chatId), store.latestTurns(subject, chatId, backend.historyTurns)]);
    if (!header) throw chatNotFound();
  }
  facts.historyTurns = history.length;

  await ctx.budget?.check();
  const answer = new AnswerBuffer(MAX_ANSWER_BYTES);
  const sizeLimit = new AbortController();
  const tally = new UsageTally();
  let result: AnswerResult;
  try {
    result = await backend.answer(
      { chatId, prompt: request.prompt, history, model: request.model, requestBody },
      (text) => {
        const kept = answer.add(text);
        if (kept !== '') {
          facts.timeToFirstTokenMs ??= ctx.now() - ctx.startedAt;
          response.text(kept);
        }
        if (answer.full) sizeLimit.abort(new AnswerSizeLimitReached(`The answer reached ${MAX_ANSWER_BYTES} bytes`));
      },
      AbortSignal.any([ctx.signal, sizeLimit.signal]),
      tally,
    );
  } catch (error) {
    // A failed answer, or one cut at the size limit: what it used so far counts against the user's day.
    await ctx.budget?.recordSoFar(tally);
    if (!(error instanceof AnswerSizeLimitReached)) throw error;
    result = { stopReason: ANSWER_SIZE_LIMIT_STOP_REASON };
  }
  Object.assign(facts, { stopReason: result.stopReason, answerBytes: answer.bytes, ...result.usage, estimatedCostUsd: result.estimatedCostUsd });
  await ctx.budget?.record(result.usage, result.estimatedCostUsd);
  // A stopped answer is not stored: the turn would keep text the content policy refused.
  endIfGuardrailIntervened(result);

  const stored = await store.appendTurn({
    subject,
    chatId,
    newChat,
    title: header?.title ?? chatTitle(request.prompt),
    prompt: request.prompt,
    answer: answer.text,
    nowMs: ctx.now(),
  });
  facts.turn = stored.turn.number;
  const chat = chatJson(subject, stored.header, [stored.turn]);
  if (response.format === 'sse') {
    const done: ChatDoneEvent = {
      response: answer.text,
      chat,
      ...(result.usage ? { usage: result.usage } : {}),
      ...(result.stopReason ? { stopReason: result.stopReason } : {}),
    };
    response.done(done);
  } else {
    response.json(200, { response: answer.text, chat });
  }
}

/** Collects an answer up to `maxBytes` of UTF-8, cutting the delta that crosses it on a code point boundary. */
export class AnswerBuffer {
  private readonly parts: string[] = [];
  public bytes = 0;
  public full = false;

  constructor(private readonly maxBytes: number) {}

  /** Adds a delta; returns the part of it that was kept ('' once full). */
  add(text: string): string {
    if (this.full) return '';
    const size = Buffer.byteLength(text, 'utf8');
    if (this.bytes + size <= this.maxBytes) {
      this.parts.push(text);
      this.bytes += size;
      return text;
    }
    let kept = '';
    for (const char of text) {
      const charBytes = Buffer.byteLength(char, 'utf8');
      if (this.bytes + charBytes > this.maxBytes) break;
      kept += char;
      this.bytes += charBytes;
    }
    this.parts.push(kept);
    this.full = true;
    return kept;
  }

  get text(): string {
    return this.parts.join('');
  }
}
