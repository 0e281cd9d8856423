/**
 * The streaming chat handler: event → method → caller → rate limit → body → validate → generate & stream.
 *
 * Order, on purpose: the rate limit is counted right after the caller is identified, before the body is
 * read. Every POST costs an invocation and a slot of the function's concurrency whatever its body, so
 * every POST counts, malformed ones included: a client looping on a bad request is slowed like any other,
 * and refusing it costs one UpdateItem and no parsing. Non-POST requests are refused first, without a
 * DynamoDB write.
 *
 * Clients and configuration come in as arguments; the entry file creates them once per cold start.
 */
import { identifyCaller } from '../../auth/caller-identity';
import { streamAnswer, type ConverseStreamClient } from '../../bedrock/converse-stream';
import type { ModelTarget } from '../../bedrock/errors';
import type { ChatConfig } from '../../core/config';
import { assertPost, readJsonBody } from '../../http/event';
import { createInvocationHandler, type Invocation, type InvocationOptions, type StreamHandler } from '../../core/invocation';
import { limitCaller, type UpdateItemClient } from '../../limits/rate-limiter';
import { codePointLength } from '../../prompt/sanitise';
import { validateChatRequest, type ChatRequest } from '../../prompt/validate';

export interface ChatDependencies extends InvocationOptions {
  readonly config: ChatConfig;
  readonly bedrock: ConverseStreamClient;
  readonly dynamo: UpdateItemClient;
}

export { ClientDisconnectedError, DEADLINE_SAFETY_MARGIN_MS, type StreamHandler } from '../../core/invocation';

export function createStreamHandler(deps: ChatDependencies): StreamHandler {
  const { config, bedrock } = deps;

  return createInvocationHandler('text', deps, async (invocation) => {
    const { response, facts, signal, now, startedAt } = invocation;
    const { request, target } = await admitChatRequest(invocation, deps);

    const result = await streamAnswer(
      bedrock,
      { target, systemPrompt: config.systemPrompt, history: request.history, message: request.message, maxTokens: config.maxTokens },
      (text) => {
        facts.timeToFirstTokenMs ??= now() - startedAt;
        response.text(text);
      },
      signal,
    );
    Object.assign(facts, { stopReason: result.stopReason, ...result.usage });
    response.done({ stopReason: result.stopReason, usage: result.usage, model: target.alias });
  });
}

/**
 * The steps before the answer, in the order explained above (rag-handler.ts takes the same): POST only,
 * the caller identified and counted against the rate limit, then the body validated and its model chosen.
 */
export async function admitChatRequest(
  invocation: Invocation,
  { config, dynamo }: Pick<ChatDependencies, 'config' | 'dynamo'>,
): Promise<{ request: ChatRequest; target: ModelTarget }> {
  const { event, facts } = invocation;
  assertPost(event);
  await limitCaller(invocation, dynamo, config.rateLimit, identifyCaller(event));

  const request = validateChatRequest(readJsonBody(event), config);
  const target = { alias: request.modelAlias, modelId: config.models.get(request.modelAlias)!, region: config.region };
  Object.assign(facts, { model: target.alias, historyTurns: request.history.length, messageChars: codePointLength(request.message) });
  return { request, target };
}
