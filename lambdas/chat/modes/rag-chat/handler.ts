/**
 * The retrieval-augmented chat handler (caller-sent turns answered from a knowledge base): event → authenticate
 * → method → rate limit → body → validate → Retrieve → keep relevant passages → (none: the fallback answer, no
 * model call) → generate & stream.
 *
 * The steps before retrieval are the model-chat mode's, in its order (modes/model-chat/handler.ts):
 * - The caller is authenticated first, then the rate limit is counted once per POST, before retrieval: a
 *   refused or malformed request never reaches the knowledge base, and a failed retrieval still counts.
 * - Retrieval and generation share one deadline inside the function timeout and stop when the client leaves.
 * - Retrieval errors are JSON errors with their own codes (bedrock/retrieve.ts): nothing is sent before them.
 * - The caller's daily budget (`BUDGET_*`; a guest is counted by its address, caller credentials by their access key
 *   id, hashed) is checked before retrieval, so a spent budget costs no Retrieve either, and the model's usage is
 *   counted once the answer ends, or, when it fails after streaming began, what it used so far
 *   (bedrock/usage-tally.ts). A fallback answer uses no tokens and counts nothing.
 * - No passage scoring at least `RETRIEVAL_MIN_SCORE`: the fallback answer is streamed as the answer, the model
 *   is not called, and `done` says `fallback: true`, `sources: []`, stop reason {@link NO_RELEVANT_CONTEXT}.
 * - Otherwise the model gets the caller's plain history and, as the last user turn only, the context block and
 *   the question (rag-prompt.ts); the RAG system prompt goes into Converse's `system` field. What is
 *   streamed back is the model's text only; the context never leaves the function.
 * - With a guardrail, that turn goes in parts: the passages as a `guardContent` block qualified `grounding_source`,
 *   the question as one qualified `query` (rag-prompt.ts `buildGuardedContextTurn`), so a guardrail with a contextual
 *   grounding check scores the answer against them; the passages are those that fit what the check reads. An answer
 *   it blocks ends like any other intervention (`guardrail_intervened`).
 * - SSE `done` adds `sources` (one `{ title, url?, score }` per document, best first; never a bucket or an internal location) and `fallback` to the model-chat
 *   mode's fields. `fallback` is also true when the model itself answered with exactly the fallback answer
 *   (nothing relevant in the passages); its sources are then empty, since none backed the answer. Plain text
 *   carries the answer only.
 * - The summary log line adds retrieval facts (passages retrieved and kept, top score, retrieval latency,
 *   fallback), never passage text, the question or the answer.
 */
import type { ClientSource } from '../../access/client-source';
import type { Authenticator } from '../../auth/authenticator';
import { type ConverseStreamClient, streamAnswer, type TokenUsage } from '../../bedrock/converse-stream';
import { endIfGuardrailIntervened } from '../../bedrock/errors';
import { modelTarget } from '../../bedrock/model-config';
import {
  type AnswerSource,
  answerSources,
  type RetrieveClient,
  type RetrievedPassage,
  relevantPassages,
  retrievePassages,
} from '../../bedrock/retrieve';
import { UsageTally } from '../../bedrock/usage-tally';
import { type BudgetTableClient, budgetCaller, type CallerBudget, callerBudget } from '../../budgets/budget';
import { createInvocationHandler, type Invocation, type InvocationOptions, type StreamHandler } from '../../core/invocation';
import {
  answerDiagnostics,
  answerHealth,
  credentialChecks,
  isDiagnostics,
  isHealthCheck,
  leaseAll,
  modelChecks,
} from '../../diagnostics/diagnostics';
import { assertPost, readJsonBody } from '../../http/event';
import type { DoneEvent } from '../../http/sse';
import { limitAddress, limitCaller, type UpdateItemClient } from '../../limits/rate-limiter';
import { codePointLength } from '../../prompt/sanitise';
import { type ChatRequest, validateChatRequest } from '../../prompt/validate';
import type { RagChatConfig } from './config';
import { buildContextTurn, buildGuardedContextTurn, groundingPassages } from './rag-prompt';

export interface RagChatDependencies extends InvocationOptions {
  readonly config: RagChatConfig;
  readonly authenticator: Authenticator;
  /** Bedrock Runtime, as the deployment's access mode gives it. */
  readonly bedrock: ClientSource<ConverseStreamClient>;
  /** Bedrock Agent Runtime (`Retrieve` only), in the knowledge base's region, as the access mode gives it. */
  readonly agentRuntime: ClientSource<RetrieveClient>;
  readonly dynamo: UpdateItemClient;
  /** Counts answers' usage against the budgets (a client without retries); default `dynamo`. */
  readonly usageCounter?: BudgetTableClient;
}

/** The SSE `done` event of the RAG mode. */
export interface RagDoneEvent extends DoneEvent {
  /** The documents the answer was built from, best score first; empty for a fallback answer. */
  readonly sources: readonly AnswerSource[];
  /** True when the answer is the fallback answer. */
  readonly fallback: boolean;
}

/** The stop reason of a fallback answer sent without calling the model. */
export const NO_RELEVANT_CONTEXT = 'no_relevant_context';

const NO_USAGE: TokenUsage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };

export function createRagChatHandler(deps: RagChatDependencies): StreamHandler {
  const { config, authenticator, bedrock, agentRuntime, dynamo } = deps;
  const { retrieval } = config;
  // What a model answer is compared with to tell whether it is the fallback answer.
  const fallbackAnswer = retrieval.fallbackAnswer.trim();

  return createInvocationHandler('text', deps, async (invocation) => {
    const { event } = invocation;
    if (isHealthCheck(event)) return answerHealth(invocation);
    await limitAddress(invocation, dynamo, config.rateLimit);
    const caller = await authenticator.authenticate(event);
    assertPost(event);
    await limitCaller(invocation, dynamo, config.rateLimit, caller);

    const body = readJsonBody(event);
    if (isDiagnostics(event)) {
      const leased = leaseAll({ bedrock, agentRuntime }, body);
      if (!('leases' in leased)) return answerDiagnostics(invocation, leased);
      const knowledgeBase = {
        name: 'knowledge-base',
        run: (signal: AbortSignal) =>
          retrievePassages(
            leased.leases.agentRuntime.client,
            { knowledgeBaseId: retrieval.knowledgeBaseId, region: retrieval.region, query: 'diagnostics', numberOfResults: 1 },
            signal,
          ),
      };
      try {
        return await answerDiagnostics(invocation, [...credentialChecks(bedrock), knowledgeBase, ...modelChecks(config, leased.leases.bedrock)]);
      } finally {
        leased.release();
      }
    }
    const request = validateChatRequest(body, config);
    const retrieve = agentRuntime.forRequest(body);
    const generate = bedrock.forRequest(body);
    try {
      const budget = callerBudget(invocation, dynamo, config.rateLimit, config.budgets, budgetCaller(caller, generate), deps.usageCounter);
      await answer(invocation, request, retrieve.client, generate.client, generate.region, budget);
    } finally {
      retrieve.release();
      generate.release();
    }
  });

  async function answer(
    invocation: Invocation,
    request: ChatRequest,
    retrieveClient: RetrieveClient,
    bedrockClient: ConverseStreamClient,
    region: string,
    budget: CallerBudget,
  ): Promise<void> {
    const { response, facts, signal, now, startedAt } = invocation;
    const target = modelTarget(config, request.modelAlias, region);
    Object.assign(facts, { model: target.alias, historyTurns: request.history.length, messageChars: codePointLength(request.message) });
    await budget.check();

    const retrievalStartedAt = now();
    let retrieved: RetrievedPassage[];
    try {
      retrieved = await retrievePassages(
        retrieveClient,
        {
          knowledgeBaseId: retrieval.knowledgeBaseId,
          region: retrieval.region,
          query: request.message,
          numberOfResults: retrieval.numberOfResults,
          documentsPrefix: retrieval.documentsPrefix,
        },
        signal,
      );
    } finally {
      facts.retrievalLatencyMs = now() - retrievalStartedAt;
    }
    const relevant = relevantPassages(retrieved, retrieval.minScore);
    // With a guardrail the passages are its grounding source, which it reads up to a limit: the model gets no more.
    const passages = config.guardrail ? groundingPassages(relevant) : relevant;
    Object.assign(facts, { retrievedPassages: retrieved.length, keptPassages: passages.length, topScore: retrieved[0]?.score });

    if (passages.length === 0) {
      facts.fallback = true;
      response.text(retrieval.fallbackAnswer);
      const done: RagDoneEvent = { stopReason: NO_RELEVANT_CONTEXT, usage: NO_USAGE, model: target.alias, sources: [], fallback: true };
      response.done(done);
    } else {
      // The answer's start, kept only while the answer could still be the fallback answer.
      let head = '';
      let couldBeFallback = true;
      const tally = new UsageTally();
      let result: Awaited<ReturnType<typeof streamAnswer>>;
      try {
        result = await streamAnswer(
          bedrockClient,
          {
            target,
            systemPrompt: config.systemPrompt,
            history: request.history,
            message: buildContextTurn(passages, request.message),
            ...(config.guardrail ? { guardedMessage: buildGuardedContextTurn(passages, request.message) } : {}),
            maxTokens: config.maxTokens,
            price: config.prices.get(target.alias),
            guardrail: config.guardrail,
          },
          (text) => {
            facts.timeToFirstTokenMs ??= now() - startedAt;
            if (couldBeFallback) {
              head += text;
              couldBeFallback = head.trim().length <= fallbackAnswer.length;
            }
            response.text(text);
          },
          signal,
          tally,
        );
      } catch (error) {
        // Failed after streaming began: what the answer used (the passages included) still counts against the day.
        await budget.recordSoFar(tally);
        throw error;
      }
      const fallback = couldBeFallback && head.trim() === fallbackAnswer;
      Object.assign(facts, { stopReason: result.stopReason, fallback, ...result.usage, estimatedCostUsd: result.estimatedCostUsd });
      await budget.record(result.usage, result.estimatedCostUsd);
      endIfGuardrailIntervened(result);
      const done: RagDoneEvent = {
        stopReason: result.stopReason,
        usage: result.usage,
        model: target.alias,
        sources: fallback ? [] : answerSources(passages),
        fallback,
      };
      response.done(done);
    }
  }
}
