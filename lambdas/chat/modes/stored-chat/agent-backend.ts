/**
 * The agent backend of the stored-chat mode: a Bedrock Agent alias answers through `InvokeAgent`
 * (bedrock/invoke-agent.ts), in a session tied to the chat (`sessionId` = the chat id).
 *
 * The agent keeps the session's memory itself, so stored turns are not sent again ({@link AnswerBackend.historyTurns}
 * = 0), and it chooses its own model: a request naming one is refused rather than silently answered by another.
 */
import { randomUUID } from 'node:crypto';
import type { ClientSource } from '../../access/client-source';
import { type AgentTarget, type InvokeAgentClient, streamAgentAnswer } from '../../bedrock/invoke-agent';
import { credentialChecks, leaseAll } from '../../diagnostics/diagnostics';
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
    diagnosticChecks: (requestBody) => {
      const leased = leaseAll({ clients }, requestBody);
      if (!('leases' in leased)) return leased;
      const { client, region } = leased.leases.clients;
      // InvokeAgent has no cheaper call: one short turn in a session of its own, ended at once.
      const agent = {
        name: 'agent',
        run: (signal: AbortSignal) =>
          streamAgentAnswer(client, { target: { ...config.agent, region }, sessionId: randomUUID(), inputText: 'Say OK.' }, () => undefined, signal),
      };
      return { checks: [...credentialChecks(clients), agent], release: leased.release };
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
