/**
 * Validates a parsed request body of the agent-chat mode, `{ message, agentId?, agentAliasId?, sessionId? }` (and
 * `awsCredentials`, read by the access block), into an {@link AgentChatRequest}. Each kind of bad input is a 400
 * with its own code; messages name fields, never quote what the caller sent.
 *
 * - `agentId` and `agentAliasId` together, or neither: a caller may name them only when the deployment lets callers
 *   choose (`agent_not_allowed` otherwise); without them the configured alias answers (`agent_required` when there
 *   is none).
 * - `sessionId` (2 to 100 of `A-Z a-z 0-9 . _ : -`): the agent keeps a session's memory, so a caller sending the same
 *   one continues its conversation; without it each message starts a new session.
 */
import { randomUUID } from 'node:crypto';
import { AGENT_RESOURCE_ID } from '../../../../contract/patterns';
import type { AgentChoice, AgentConfig } from '../../bedrock/agent-config';
import { ChatError } from '../../http/errors';
import { codePointLength, sanitise } from '../../prompt/sanitise';
import { MAX_MESSAGE_CHARS } from '../../prompt/validate';

/** What InvokeAgent accepts as a session id. */
const SESSION_ID = /^[0-9a-zA-Z._:-]{2,100}$/;

export interface AgentChatRequest {
  readonly message: string;
  readonly agent: AgentConfig;
  /** The caller's session id (or a new one): never sent to Bedrock as is (see handler.ts). */
  readonly sessionId: string;
}

export function validateAgentChatRequest(body: unknown, agents: AgentChoice): AgentChatRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ChatError(400, 'invalid_body', 'The request body must be a JSON object.');
  }
  const { message: rawMessage, model, agentId, agentAliasId, sessionId } = body as Record<string, unknown>;
  if (rawMessage !== undefined && rawMessage !== null && typeof rawMessage !== 'string') {
    throw new ChatError(400, 'invalid_body', '"message" must be a string.');
  }
  const message = sanitise(rawMessage ?? '');
  if (message === '') throw new ChatError(400, 'message_required', '"message" is required and must contain text.');
  if (codePointLength(message) > MAX_MESSAGE_CHARS) {
    throw new ChatError(400, 'message_too_long', `"message" must be at most ${MAX_MESSAGE_CHARS} characters.`);
  }
  if (model !== undefined && model !== null) {
    throw new ChatError(400, 'model_not_allowed', 'This chat answers with a Bedrock agent, which uses its own model: send no "model".');
  }
  if (sessionId !== undefined && sessionId !== null && (typeof sessionId !== 'string' || !SESSION_ID.test(sessionId))) {
    throw new ChatError(400, 'invalid_body', '"sessionId" must be 2 to 100 of A-Z a-z 0-9 . _ : -');
  }
  return { message, agent: chooseAgent(agentId, agentAliasId, agents), sessionId: typeof sessionId === 'string' ? sessionId : randomUUID() };
}

function chooseAgent(agentId: unknown, agentAliasId: unknown, agents: AgentChoice): AgentConfig {
  const named = (agentId !== undefined && agentId !== null) || (agentAliasId !== undefined && agentAliasId !== null);
  if (!named) {
    if (agents.defaultAgent) return agents.defaultAgent;
    throw new ChatError(400, 'agent_required', 'This chat answers with the Bedrock agent you name: send "agentId" and "agentAliasId".');
  }
  if (!agents.callerChoice) {
    throw new ChatError(400, 'agent_not_allowed', 'This chat answers with its configured agent: send no "agentId" or "agentAliasId".');
  }
  for (const [field, value] of [
    ['agentId', agentId],
    ['agentAliasId', agentAliasId],
  ] as const) {
    if (typeof value !== 'string' || !AGENT_RESOURCE_ID.test(value)) {
      throw new ChatError(
        400,
        'invalid_body',
        `"${field}" must be a Bedrock agent ${field === 'agentId' ? '' : 'alias '}id: 1 to 10 letters or digits.`,
      );
    }
  }
  return { agentId: agentId as string, agentAliasId: agentAliasId as string };
}
