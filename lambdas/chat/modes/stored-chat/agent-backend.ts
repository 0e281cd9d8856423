/**
 * The agent backend of the stored-chat mode: a Bedrock Agent alias answers through `InvokeAgent`
 * (bedrock/invoke-agent.ts), in a session tied to the chat (`sessionId` = the chat id).
 *
 * The agent keeps the session's memory itself, so stored turns are not sent again ({@link AnswerBackend.historyTurns}
 * = 0), and it chooses its own model: a request naming one is refused rather than silently answered by another.
 */
import type { ClientSource } from '../../access/client-source';
import { type AgentTarget, type InvokeAgentClient, streamAgentAnswer } from '../../bedrock/invoke-agent';
import { ChatError } from '../../http/errors';
import type { AnswerBackend } from './answer-backend';
import type { StoredAgentChatConfig } from './config';

export function agentBackend(clients: ClientSource<InvokeAgentClient>, config: StoredAgentChatConfig): AnswerBackend {
  return {
    kind: 'agent',
    historyTurns: 0,
    chooseModel: (requested) => {
      if (requested === undefined || requested === null) return undefined;
      throw new ChatError(400, 'model_not_allowed', 'This chat answers with a Bedrock agent, which uses its own model: send no "model".');
    },
    answer: async (request, onText, signal) => {
      const lease = clients.forRequest(request.requestBody);
      const target: AgentTarget = { ...config.agent, region: lease.region };
      try {
        await streamAgentAnswer(lease.client, { target, sessionId: request.chatId, inputText: request.prompt }, onText, signal);
      } finally {
        lease.release();
      }
      return {};
    },
  };
}
