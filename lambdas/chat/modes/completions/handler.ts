/**
 * The OpenAI-compatible completions handler: event → authenticate → route → rate limit → body → model → budget →
 * generate (streamed as `chat.completion.chunk` events, or collected into one `chat.completion`) → count usage.
 *
 * Routes: `POST /v1/chat/completions`, `GET /v1/models`, `GET /v1/models/{model}`, and as on every chat function
 * `GET /health` (before anything else: no key check, no count, no upstream call) and `POST /diagnostics`
 * (authenticated and counted like a completion; one-token model calls, the shared report of diagnostics.ts). Every
 * error is written in OpenAI's shape (openai-response.ts), so the official clients raise their own error classes.
 * Usage is counted against the caller's budget before the last chunk is sent, so a client that has its answer
 * sees its usage counted.
 */
import type { ClientSource } from '../../access/client-source';
import type { Authenticator } from '../../auth/authenticator';
import type { Caller } from '../../auth/caller';
import type { ConverseStreamClient } from '../../bedrock/converse-stream';
import type { ModelTarget } from '../../bedrock/errors';
import { UsageTally } from '../../bedrock/usage-tally';
import { type BudgetTableClient, budgetCaller, checkBudget, costNanoUsd, recordUsage, recordUsageSoFar } from '../../budgets/budget';
import { createInvocationHandler, type Invocation, type InvocationOptions, type StreamHandler } from '../../core/invocation';
import {
  answerDiagnostics,
  answerHealth,
  credentialChecks,
  DIAGNOSTICS_PATH,
  isHealthCheck,
  leaseAll,
  modelChecks,
} from '../../diagnostics/diagnostics';
import { ChatError } from '../../http/errors';
import type { FunctionUrlEvent } from '../../http/event';
import { limitAddress, limitCaller, type UpdateItemClient } from '../../limits/rate-limiter';
import { readCompletionsBody } from './body';
import type { CompletionsConfig } from './config';
import { type AnswerSink, converseInput, generate } from './generate';
import { modelList, modelObject, resolveModel } from './models';
import { type CompletionRequest, parseCompletionRequest } from './openai-request';
import { ChunkWriter, completionObject, OPENAI_ERRORS, type OpenAiToolCall } from './openai-response';

export interface CompletionsDependencies extends InvocationOptions {
  readonly config: CompletionsConfig;
  readonly authenticator: Authenticator;
  /** Bedrock Runtime, as the deployment's access mode gives it (the function's role, an assumed role, the caller's credentials). */
  readonly bedrock: ClientSource<ConverseStreamClient>;
  readonly dynamo: UpdateItemClient & BudgetTableClient;
  /** Counts answers' usage against the budgets (a client without retries); default `dynamo`. */
  readonly usageCounter?: BudgetTableClient;
}

type Route =
  | { readonly name: 'completions' }
  | { readonly name: 'models' }
  | { readonly name: 'model'; readonly model: string }
  | { readonly name: 'diagnostics' };

const ROUTES = 'POST /v1/chat/completions, GET /v1/models, GET /v1/models/{model}, GET /health, POST /diagnostics';

export function route(event: FunctionUrlEvent): Route {
  const method = (event.requestContext?.http?.method ?? '').toUpperCase();
  const path = (event.rawPath ?? '/').replace(/\/+$/, '');
  const allow = (expected: string): void => {
    if (method !== expected) throw new ChatError(405, 'method_not_allowed', `Only ${expected} is supported here.`, { allow: expected });
  };
  if (path === '/v1/chat/completions') {
    allow('POST');
    return { name: 'completions' };
  }
  if (path === '/v1/models') {
    allow('GET');
    return { name: 'models' };
  }
  if (path === DIAGNOSTICS_PATH) {
    allow('POST');
    return { name: 'diagnostics' };
  }
  const model = /^\/v1\/models\/(.+)$/.exec(path)?.[1];
  if (model !== undefined) {
    allow('GET');
    let decoded: string;
    try {
      decoded = decodeURIComponent(model);
    } catch {
      decoded = model;
    }
    return { name: 'model', model: decoded };
  }
  throw new ChatError(404, 'route_not_found', `No such route. Routes: ${ROUTES}.`);
}

export function createCompletionsHandler(deps: CompletionsDependencies): StreamHandler {
  const { config, authenticator, dynamo } = deps;

  return createInvocationHandler(
    'json',
    deps,
    async (invocation) => {
      const { event, response, facts } = invocation;
      if (isHealthCheck(event)) return answerHealth(invocation);
      // A public URL (API keys, tokens): every request counts against its source address before authentication.
      await limitAddress(invocation, dynamo, config.rateLimit);
      const caller = await authenticator.authenticate(event);
      const target = route(event);
      facts.route = target.name;
      await limitCaller(invocation, dynamo, config.rateLimit, caller);
      switch (target.name) {
        case 'models':
          return response.json(200, modelList(config.models));
        case 'model':
          return response.json(200, modelObject(resolveModel(config.models, target.model, config.region)));
        case 'completions':
          return complete(deps, invocation, caller);
        case 'diagnostics':
          return diagnose(deps, invocation);
      }
    },
    { errorDialect: OPENAI_ERRORS },
  );
}

/** `POST /diagnostics`: STS for an assumed role, each model with one token; the body may carry caller credentials. */
async function diagnose(deps: CompletionsDependencies, invocation: Invocation): Promise<void> {
  const { config, bedrock } = deps;
  const raw = invocation.event.body ?? '';
  const body = raw === '' ? {} : readCompletionsBody(invocation.event);
  const leased = leaseAll({ bedrock }, body);
  if (!('leases' in leased)) return answerDiagnostics(invocation, leased);
  try {
    return await answerDiagnostics(invocation, [...credentialChecks(bedrock), ...modelChecks(config, leased.leases.bedrock)]);
  } finally {
    leased.release();
  }
}

async function complete(deps: CompletionsDependencies, invocation: Invocation, caller: Caller): Promise<void> {
  const { config, bedrock } = deps;
  const { event } = invocation;
  const body = readCompletionsBody(event);
  const request = parseCompletionRequest(body, config.maxTokens);
  const lease = bedrock.forRequest(body);
  try {
    const target = resolveModel(config.models, request.model, lease.region);
    await answer(deps, invocation, budgetCaller(caller, lease), request, lease.client, target);
  } finally {
    lease.release();
  }
}

async function answer(
  deps: CompletionsDependencies,
  invocation: Invocation,
  caller: Caller,
  request: CompletionRequest,
  bedrock: ConverseStreamClient,
  target: ModelTarget,
): Promise<void> {
  const { config, dynamo } = deps;
  const counter = deps.usageCounter ?? dynamo;
  const { response, facts, signal, now, startedAt, context } = invocation;
  Object.assign(facts, {
    model: target.alias,
    stream: request.stream,
    messages: request.messages.length,
    images: request.imageCount,
    tools: request.tools?.length ?? 0,
    maxTokens: request.maxTokens,
  });
  const table = { tableName: config.rateLimit.tableName, namespace: config.rateLimit.namespace };
  const gate = await checkBudget(invocation, dynamo, table, config.budgets, caller);
  const price = config.prices.get(target.alias);

  const identity = { id: `chatcmpl-${context.awsRequestId}`, created: Math.floor(startedAt / 1000), model: request.model };
  const writer = new ChunkWriter(identity, request.includeUsage);
  let text = '';
  const toolCalls: OpenAiToolCall[] = [];
  const toolByBlock = new Map<number, OpenAiToolCall>();
  const firstToken = (): void => {
    facts.timeToFirstTokenMs ??= now() - startedAt;
  };
  const sink: AnswerSink = request.stream
    ? {
        text: (delta) => {
          firstToken();
          response.event(writer.text(delta));
        },
        toolStart: (block, id, name) => {
          firstToken();
          response.event(writer.toolStart(block, id, name));
        },
        toolArguments: (block, fragment) => response.event(writer.toolArguments(block, fragment)),
      }
    : {
        text: (delta) => {
          firstToken();
          text += delta;
        },
        toolStart: (block, id, name) => {
          firstToken();
          const call: OpenAiToolCall = { id, type: 'function', function: { name, arguments: '' } };
          toolCalls.push(call);
          toolByBlock.set(block, call);
        },
        toolArguments: (block, fragment) => {
          const call = toolByBlock.get(block);
          if (call) call.function.arguments += fragment;
        },
      };

  const input = converseInput(target, request, config.systemPrompt, config.guardrail);
  const tally = new UsageTally();
  tally.request(input, price);
  let end: Awaited<ReturnType<typeof generate>>;
  try {
    end = await generate(bedrock, target, input, sink, signal, tally);
  } catch (error) {
    // Failed after streaming began: what the answer used still counts against the caller's day.
    await recordUsageSoFar(invocation, counter, table, gate, tally);
    throw error;
  }
  Object.assign(facts, {
    stopReason: end.stopReason,
    inputTokens: end.usage.inputTokens,
    outputTokens: end.usage.outputTokens,
    cacheReadInputTokens: end.usage.cacheReadInputTokens,
    cacheWriteInputTokens: end.usage.cacheWriteInputTokens,
    toolCalls: request.stream ? undefined : toolCalls.length,
    estimatedCostUsd: price ? costNanoUsd(end.usage, price) / 1e9 : undefined,
  });
  await recordUsage(invocation, counter, table, gate, end.usage, costNanoUsd(end.usage, price));
  if (request.stream) {
    response.event(writer.finish(end.stopReason, end.usage));
    response.close();
  } else {
    response.json(200, completionObject(identity, { text, toolCalls, stopReason: end.stopReason, usage: end.usage }));
  }
}
