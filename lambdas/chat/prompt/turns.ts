/**
 * Makes the caller-sent turns (`history` of the caller-sent-turns modes, each already checked to be
 * `{ role: 'user' | 'assistant', content: string }` by validate.ts) into a conversation Converse accepts.
 *
 * Rules, in order:
 * 1. Sanitise each content like the message (the whole history is caller-controlled, assistant turns
 *    included), cut it to {@link MAX_TURN_CHARS} code points, and drop turns left empty (Converse rejects
 *    blank text blocks).
 * 2. Make the sequence valid for Converse, which requires strictly alternating roles starting with a user
 *    turn; the new message is a user turn, so the history must end with an assistant turn. Walking from the
 *    newest turn back, a turn is kept only if it has the role the sequence expects next; of two adjacent
 *    same-role turns the newer one survives (it is the one the following turn answered or asked after).
 *    A leading assistant turn is dropped.
 * 3. Keep the newest {@link MAX_HISTORY_TURNS} turns. The count is even and the sequence ends with an
 *    assistant turn, so the kept suffix still starts with a user turn.
 */
import { LIMITS } from '../../../contract/limits';
import { sanitise, truncateCodePoints } from './sanitise';

export type ChatRole = 'user' | 'assistant';

export interface ChatTurn {
  readonly role: ChatRole;
  readonly content: string;
}

export const MAX_TURN_CHARS = LIMITS.maxTurnChars;
export const MAX_HISTORY_TURNS = LIMITS.maxCallerTurns;

export function normaliseHistory(turns: readonly ChatTurn[]): ChatTurn[] {
  const cleaned: ChatTurn[] = [];
  for (const { role, content } of turns) {
    const text = truncateCodePoints(sanitise(content), MAX_TURN_CHARS);
    if (text !== '') cleaned.push({ role, content: text });
  }

  const alternating: ChatTurn[] = [];
  let expected: ChatRole = 'assistant';
  for (const turn of [...cleaned].reverse()) {
    if (alternating.length >= MAX_HISTORY_TURNS) break;
    if (turn.role !== expected) continue;
    alternating.push(turn);
    expected = expected === 'assistant' ? 'user' : 'assistant';
  }
  if (alternating.length % 2 === 1) alternating.pop(); // the oldest kept turn is an assistant turn
  return alternating.reverse();
}
