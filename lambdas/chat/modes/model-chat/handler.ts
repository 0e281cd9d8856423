/**
 * The model-chat handler (caller-sent turns answered by a model): event → authenticate → method → rate limit
 * → body → validate → generate & stream.
 *
 * Order, on purpose: a public URL (`RATE_LIMIT_PER_ADDRESS_PER_MINUTE`) first counts the source address, so
 * unauthenticated floods are counted too; then the caller is authenticated before anything else (with `iam` the Function URL did it
 * already; with `jwt` an unauthenticated request costs no DynamoDB or Bedrock call and learns nothing, not even
 * that only POST is served). The rate limit is counted right after the method check, before the body is read:
 * every POST costs an invocation and a slot of the function's concurrency whatever its body, so every POST
 * counts, malformed ones included; a client looping on a bad request is slowed like any other, and refusing
 * it costs one UpdateItem and no parsing. Non-POST requests are refused without a DynamoDB write.
 *
 * Clients, the authenticator and the configuration come in as arguments; the entry creates them once per
 * cold start (entry/model-chat.ts).
 */
import type { ClientSource } from '../../access/client-source';
import type { Authenticator } from '../../auth/authenticator';
import { type ConverseStreamClient, streamAnswer } from '../../bedrock/converse-stream';
import { endIfGuardrailIntervened } from '../../bedrock/errors';
import { modelTarget } from '../../bedrock/model-config';
import { UsageTally } from '../../bedrock/usage-tally';
import { type BudgetTableClient, budgetCaller, callerBudget } from '../../budgets/budget';
import { createInvocationHandler, type InvocationOptions, type StreamHandler } from '../../core/invocation';
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
import { limitAddress, limitCaller, type UpdateItemClient } from '../../limits/rate-limiter';
import { codePointLength } from '../../prompt/sanitise';
import { validateChatRequest } from '../../prompt/validate';
import type { ModelChatConfig } from './config';

export interface ModelChatDependencies extends InvocationOptions {
  readonly config: ModelChatConfig;
  readonly authenticator: Authenticator;
  /** Bedrock Runtime, as the deployment's access mode gives it (the function's role, an assumed role, the caller's credentials). */
  readonly bedrock: ClientSource<ConverseStreamClient>;
  readonly dynamo: UpdateItemClient;
  /** Counts answers' usage against the budgets (a client without retries); default `dynamo`. */
  readonly usageCounter?: BudgetTableClient;
}

export function createModelChatHandler(deps: ModelChatDependencies): StreamHandler {
  const { config, authenticator, bedrock, dynamo } = deps;

  return createInvocationHandler('text', deps, async (invocation) => {
    const { event, response, facts, signal, now, startedAt } = invocation;
    if (isHealthCheck(event)) return answerHealth(invocation);
    await limitAddress(invocation, dynamo, config.rateLimit);
    const caller = await authenticator.authenticate(event);
    assertPost(event);
    await limitCaller(invocation, dynamo, config.rateLimit, caller);

    const body = readJsonBody(event);
    if (isDiagnostics(event)) {
      const leased = leaseAll({ bedrock }, body);
      if (!('leases' in leased)) return answerDiagnostics(invocation, leased);
      try {
        return await answerDiagnostics(invocation, [...credentialChecks(bedrock), ...modelChecks(config, leased.leases.bedrock)]);
      } finally {
        leased.release();
      }
    }
    const request = validateChatRequest(body, config);
    const lease = bedrock.forRequest(body);
    const target = modelTarget(config, request.modelAlias, lease.region);
    Object.assign(facts, { model: target.alias, historyTurns: request.history.length, messageChars: codePointLength(request.message) });

    const budget = callerBudget(invocation, dynamo, config.rateLimit, config.budgets, budgetCaller(caller, lease), deps.usageCounter);
    await budget.check();
    const tally = new UsageTally();
    let result: Awaited<ReturnType<typeof streamAnswer>>;
    try {
      result = await streamAnswer(
        lease.client,
        {
          target,
          systemPrompt: config.systemPrompt,
          history: request.history,
          message: request.message,
          maxTokens: config.maxTokens,
          price: config.prices.get(target.alias),
          guardrail: config.guardrail,
        },
        (text) => {
          facts.timeToFirstTokenMs ??= now() - startedAt;
          response.text(text);
        },
        signal,
        tally,
      );
    } catch (error) {
      // Failed after streaming began: what the answer used still counts against the caller's day.
      await budget.recordSoFar(tally);
      throw error;
    } finally {
      lease.release();
    }
    Object.assign(facts, { stopReason: result.stopReason, ...result.usage, estimatedCostUsd: result.estimatedCostUsd });
    await budget.record(result.usage, result.estimatedCostUsd);
    endIfGuardrailIntervened(result);
    response.done({ stopReason: result.stopReason, usage: result.usage, model: target.alias });
  });
}
