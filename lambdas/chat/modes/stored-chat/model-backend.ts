/**
 * The model backend of the JWT mode: the stage's default model (the first alias of `CHAT_MODELS`) answers
 * through `ConverseStream`, with the chat's latest stored turns as the conversation so far.
 *
 * Stored turns are sent as they were stored (the prompts were sanitised when they came in; the answers
 * are the model's own and keep their markup, e.g. code). Turns with an empty side are skipped: Converse
 * rejects blank text blocks and needs strictly alternating roles.
 */
import type { JwtModelChatConfig } from './config';
import type { ChatTurn } from '../../prompt/turns';
import type { AnswerBackend } from './answer-backend';
import { streamAnswer, type ConverseStreamClient } from '../../bedrock/converse-stream';

export function modelBackend(client: ConverseStreamClient, config: JwtModelChatConfig): AnswerBackend {
  const target = { alias: config.defaultModel, modelId: config.models.get(config.defaultModel)!, region: config.region };
  return {
    kind: 'model',
    historyTurns: config.history.turns,
    answer: (request, onText, signal) => {
      const history = request.history.flatMap((turn): ChatTurn[] =>
        turn.user !== '' && turn.assistant !== ''
          ? [
              { role: 'user', content: turn.user },
              { role: 'assistant', content: turn.assistant },
            ]
          : [],
      );
      return streamAnswer(
        client,
        { target, systemPrompt: config.systemPrompt, history, message: request.prompt, maxTokens: config.maxTokens },
        onText,
        signal,
      );
    },
  };
}
