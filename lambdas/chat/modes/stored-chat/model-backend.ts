/**
 * The model backend of the stored-chat mode: the model the request names (`model`, one of the aliases of
 * `CHAT_MODELS`, checked as in the caller-sent-turns modes), else the first alias, answers through
 * `ConverseStream`, with the chat's latest stored turns as the conversation so far.
 *
 * Stored turns are sent as they were stored (the prompts were sanitised when they came in; the answers
 * are the model's own and keep their markup, e.g. code). Turns with an empty side are skipped: Converse
 * rejects blank text blocks and needs strictly alternating roles.
 */
import type { ClientSource } from '../../access/client-source';
import { type ConverseStreamClient, streamAnswer } from '../../bedrock/converse-stream';
import { modelTarget } from '../../bedrock/model-config';
import { credentialChecks, leaseAll, modelChecks } from '../../diagnostics/diagnostics';
import type { ChatTurn } from '../../prompt/turns';
import { chooseModel } from '../../prompt/validate';
import type { AnswerBackend } from './answer-backend';
import type { StoredModelChatConfig } from './config';

export function modelBackend(clients: ClientSource<ConverseStreamClient>, config: StoredModelChatConfig): AnswerBackend {
  return {
    kind: 'model',
    historyTurns: config.history.turns,
    chooseModel: (requested) => chooseModel(requested, config),
    diagnosticChecks: (requestBody) => {
      const leased = leaseAll({ clients }, requestBody);
      if (!('leases' in leased)) return leased;
      return { checks: [...credentialChecks(clients), ...modelChecks(config, leased.leases.clients)], release: leased.release };
    },
    answer: async (request, onText, signal, tally) => {
      const lease = clients.forRequest(request.requestBody);
      const target = modelTarget(config, request.model ?? config.defaultModel, lease.region);
      const history = request.history.flatMap((turn): ChatTurn[] =>
        turn.user !== '' && turn.assistant !== ''
          ? [
              { role: 'user', content: turn.user },
              { role: 'assistant', content: turn.assistant },
            ]
          : [],
      );
      try {
        return await streamAnswer(
          lease.client,
          {
            target,
            systemPrompt: config.systemPrompt,
            history,
            message: request.prompt,
            maxTokens: config.maxTokens,
            price: config.prices.get(target.alias),
            guardrail: config.guardrail,
          },
          onText,
          signal,
          tally,
        );
      } finally {
        lease.release();
      }
    },
  };
}
