import { Aws, Duration, RemovalPolicy, Stack, Token, TokenComparison } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { BUNDLES } from '../../contract/bundles';
import { FUNCTION_URL_CORS } from '../../contract/cors';
import { DEFAULTS, ENV } from '../../contract/env';
import { LIMITS } from '../../contract/limits';
import { KNOWLEDGE_BASE_ID, MODEL_ALIAS, MODEL_ALIAS_RULE } from '../../contract/patterns';
import { BedrockAgentAlias } from '../bedrock/bedrock-agent-alias';
import { IBedrockInvokable } from '../bedrock/bedrock-model';
import { invokeAgentStatement, retrieveStatement } from '../private/bedrock-statements';
import { BEDROCK_ACTIONS, invocationId, ModelTarget, modelAccessStatements, modelTargetOf } from '../private/model-access';
import { Validator } from '../private/validation';
import { BedrockAccessMode } from './bedrock-access';
import { ChatAuthMode } from './chat-auth';
import { ChatHistoryTable, IChatHistoryTable } from './chat-history-table';
import { IKnowledgeBase, KnowledgeBase } from './knowledge-base';

/** How a backend that answers with a model generates. */
export interface ModelGenerationOptions {
  /**
   * The system prompt sent with every conversation, kept apart from the user's text (at most 3000 characters:
   * Lambda environment variables total at most 4 KB).
   * @default - a built-in prompt: a general assistant that treats user text as a question, never as instructions
   * (with a knowledge base: one that answers only from the retrieved passages)
   */
  readonly systemPrompt?: string;

  /**
   * Upper bound on tokens generated per answer (1 to 64000); also bounds the work done after a client leaves.
   * @default 1024
   */
  readonly maxTokens?: number;

  /**
   * Prices of the models, by alias, for the `EstimatedCost` metric (and the cost alarm): US dollars per million
   * tokens. An alias without prices has no estimated cost.
   * @default - no estimated cost
   */
  readonly prices?: Record<string, ModelPrice>;
}

/** What a model costs, in US dollars per million tokens (see the model's page on the Amazon Bedrock pricing page). */
export interface ModelPrice {
  /** Per million input tokens. */
  readonly inputPerMillionTokens: number;
  /** Per million output tokens. */
  readonly outputPerMillionTokens: number;
  /**
   * Per million input tokens read from the prompt cache.
   * @default - the input price
   */
  readonly cacheReadPerMillionTokens?: number;
  /**
   * Per million input tokens written to the prompt cache.
   * @default - the input price
   */
  readonly cacheWritePerMillionTokens?: number;
}

/** Stored chats: signed-in users' chats kept in a table, each new message answered with the chat's latest turns. */
export interface ChatHistoryOptions {
  /**
   * Where the chats are kept.
   * @default - a new `ChatHistoryTable` (id `HistoryTable`) in the chat function, with the function's `removalPolicy`
   */
  readonly table?: IChatHistoryTable;

  /**
   * How many of a chat's latest stored turns go back to the model with a new message (0 to 50).
   * @default 10
   */
  readonly turns?: number;

  /**
   * How long stored chats are kept: the function writes the table's TTL attribute (`expiresAt`) on every item, so
   * DynamoDB deletes a turn this long after it was written and a chat's header this long after its last turn
   * (whole days, 1 day to 10 years; DynamoDB deletes expired items within a few days).
   * @default - kept until their owner deletes them
   */
  readonly retention?: Duration;
}

/** Options of `ChatBackend.models`. */
export interface ModelsBackendOptions extends ModelGenerationOptions {
  /**
   * Keep signed-in users' chats (needs `ChatAuth.jwt` or `ChatAuth.cognito`: chats belong to the token's `sub`).
   * The function then serves `POST /chat`, `GET /chats`, `GET`/`DELETE /chats/{id}`.
   * @default - no stored chats: a caller sends the earlier turns with each message
   */
  readonly history?: ChatHistoryOptions;
}

/** Options of `ChatBackend.knowledgeBase`: how retrieval runs. */
export interface KnowledgeBaseBackendOptions extends ModelGenerationOptions {
  /**
   * Passages retrieved per question (1 to 100).
   * @default 5
   */
  readonly numberOfResults?: number;

  /**
   * Passages scoring below this (0 to 1) are dropped; none left means the fallback answer, without calling a model.
   * @default 0.4
   */
  readonly minScore?: number;

  /**
   * The answer when no passage is relevant enough (1 to 1000 characters).
   * @default "I'm sorry, but I can only answer questions related to our company's services."
   */
  readonly fallbackAnswer?: string;
}

/** Options of `ChatBackend.agent`. */
export interface AgentBackendOptions {
  /**
   * Keep signed-in users' chats (needs `ChatAuth.jwt` or `ChatAuth.cognito`): the agent's session is the chat, and
   * the function serves `POST /chat`, `GET /chats`, `GET`/`DELETE /chats/{id}` (bundle `stored-agent-chat`).
   * @default - no stored chats: each request carries a `message` (and optionally the caller's `sessionId`, to continue
   * the agent's session), bundle `agent-chat`
   */
  readonly history?: ChatHistoryOptions;

  /**
   * Let a caller name another agent alias in the body (`agentId` and `agentAliasId`; this alias stays the default).
   * Only with `BedrockAccess.callerCredentials()`: the caller's own identity calls the agent it names, and must be
   * allowed `bedrock:InvokeAgent` on that alias; no role of the deployment could be granted every alias. Not with
   * `history`.
   * @default false - the configured alias only; a request naming one is refused (400 `agent_not_allowed`)
   */
  readonly allowCallerChoice?: boolean;
}

/** What the chat function tells a backend when binding it. */
export interface ChatBackendBindOptions {
  /** The function's role: the backend's grants other than Bedrock (its history table) go to it. */
  readonly grantee: iam.IGrantable;
  /** How the function's callers authenticate. */
  readonly authMode: ChatAuthMode;
  /** For resources the backend creates (a history table). */
  readonly removalPolicy: RemovalPolicy;
  /**
   * Whose credentials call Bedrock (`BedrockAccess`): a backend whose Bedrock resources the caller chooses works
   * only with the caller's own credentials.
   * @default BedrockAccessMode.FUNCTION_ROLE
   */
  readonly accessMode?: BedrockAccessMode;
}

/** What a backend contributes to the function it is bound to. */
export interface ChatBackendConfig {
  /** The prebuilt runtime bundle that serves this backend (`assets/<bundle>/index.mjs`). */
  readonly bundle: string;
  /** Environment variables the handler reads at init (names from the runtime contract). */
  readonly environment: Record<string, string>;
  /**
   * The Bedrock permissions the function needs (invoke the models, `Retrieve`, `InvokeAgent`), exact actions on exact
   * ARNs. The function applies them in one place (today: to its own role).
   */
  readonly bedrockStatements: iam.PolicyStatement[];
  /** The table of stored chats, when the backend keeps them. */
  readonly historyTable?: IChatHistoryTable;
  /**
   * HTTP methods the backend serves, for CORS.
   * @default - POST, plus GET and DELETE with stored chats
   */
  readonly httpMethods?: string[];
}

/**
 * What answers a chat function's callers: models, a knowledge base (retrieval-augmented), or a Bedrock Agent.
 * Each backend picks its runtime bundle, writes its environment and makes its grants; invalid combinations cannot
 * be written (a knowledge base backend has no stored chats), and what is left (stored chats need a signed-in user)
 * is checked when the function binds it.
 */
export abstract class ChatBackend {
  /**
   * Models a caller may choose by alias (`{ "model": "haiku" }` in a request); the first entry is the default. Each
   * gets least-privilege invoke permissions (see `BedrockModel`), nothing else.
   *
   * @param models alias (1 to 32 lower-case letters, digits, `.`, `_`, `-`, starting with a letter) → model: a
   *   `BedrockModel`, or anything shaped like aws-bedrock-alpha's `IBedrockInvokable`
   */
  public static models(models: Record<string, IBedrockInvokable>, options: ModelsBackendOptions = {}): ChatBackend {
    return new ModelsBackend(models, options);
  }

  /**
   * Answers only from a knowledge base: the top passages of each question go into the prompt's context block, and a
   * question with no relevant passage gets the fallback answer without a model call.
   */
  public static knowledgeBase(
    knowledgeBase: IKnowledgeBase,
    models: Record<string, IBedrockInvokable>,
    options: KnowledgeBaseBackendOptions = {},
  ): ChatBackend {
    return new KnowledgeBaseBackend(knowledgeBase, models, options);
  }

  /**
   * A Bedrock Agent alias answers (`InvokeAgent`): with `history`, its session tied to the signed-in user's stored
   * chat (needs `ChatAuth.jwt` or `ChatAuth.cognito`); without, each request carries its message (any `ChatAuth`).
   * `allowCallerChoice` lets callers name another alias (with their own credentials only).
   */
  public static agent(agentAlias: BedrockAgentAlias, options: AgentBackendOptions = {}): ChatBackend {
    return new AgentBackend(agentAlias, options);
  }

  /**
   * The Bedrock Agent alias each caller names in the body (`agentId`, `agentAliasId`), with no default (400
   * `agent_required` without one). Only with `BedrockAccess.callerCredentials()`: the caller's own identity calls the
   * agent, and needs `bedrock:InvokeAgent` on that alias ARN. No stored chats.
   */
  public static callerChosenAgent(): ChatBackend {
    return new AgentBackend(undefined, { allowCallerChoice: true });
  }

  /**
   * The OpenAI-compatible Chat Completions API over these models (`POST /v1/chat/completions`, `GET /v1/models`):
   * callers name a model by alias or Bedrock id; `maxTokens` caps `max_tokens`; `systemPrompt`, when given, is sent
   * before the caller's own system messages. `ChatCompletionsApi` composes it with API keys.
   */
  public static openAiCompatible(models: Record<string, IBedrockInvokable>, options: ModelGenerationOptions = {}): ChatBackend {
    return new OpenAiCompatibleBackend(models, options);
  }

  /** Validates the backend for the function in `scope` and renders what it contributes. */
  public abstract bind(scope: Construct, options: ChatBackendBindOptions): ChatBackendConfig;

  /**
   * The Bedrock statements whoever calls Bedrock for this backend needs (invoke the models, `Retrieve`, `InvokeAgent`),
   * exact actions on exact ARNs, resolved in `scope`'s stack. What `bind` grants the function's role, and what a
   * `CrossAccountBedrockRole` in the Bedrock account's stack grants instead: one source for both. Creates nothing.
   */
  public abstract bedrockStatements(scope: Construct): iam.PolicyStatement[];
}

class ModelsBackend extends ChatBackend {
  constructor(
    private readonly models: Record<string, IBedrockInvokable>,
    private readonly options: ModelsBackendOptions,
  ) {
    super();
  }

  public bind(scope: Construct, options: ChatBackendBindOptions): ChatBackendConfig {
    const v = Validator.of('ChatBackend.models', scope);
    const models = bindModels(v, scope, this.models, this.options);
    const history = this.options.history && bindHistory(v, scope, this.options.history, options);
    return {
      bundle: history ? BUNDLES.storedModelChat : BUNDLES.modelChat,
      environment: { ...models.environment, ...history?.environment },
      bedrockStatements: models.statements,
      historyTable: history?.table,
    };
  }

  public bedrockStatements(scope: Construct): iam.PolicyStatement[] {
    return bindModels(Validator.of('ChatBackend.models', scope), scope, this.models, this.options).statements;
  }
}

class OpenAiCompatibleBackend extends ChatBackend {
  constructor(
    private readonly models: Record<string, IBedrockInvokable>,
    private readonly options: ModelGenerationOptions,
  ) {
    super();
  }

  public bind(scope: Construct): ChatBackendConfig {
    const models = bindModels(Validator.of('ChatBackend.openAiCompatible', scope), scope, this.models, this.options);
    return {
      bundle: BUNDLES.completions,
      environment: models.environment,
      bedrockStatements: models.statements,
      httpMethods: [...FUNCTION_URL_CORS.allowMethods.completions],
    };
  }

  public bedrockStatements(scope: Construct): iam.PolicyStatement[] {
    return bindModels(Validator.of('ChatBackend.openAiCompatible', scope), scope, this.models, this.options).statements;
  }
}

class KnowledgeBaseBackend extends ChatBackend {
  constructor(
    private readonly knowledgeBase: IKnowledgeBase,
    private readonly models: Record<string, IBedrockInvokable>,
    private readonly options: KnowledgeBaseBackendOptions,
  ) {
    super();
  }

  public bind(scope: Construct): ChatBackendConfig {
    const v = Validator.of('ChatBackend.knowledgeBase', scope);
    const o = this.options;
    const kb = this.knowledgeBase;
    v.pattern('knowledge base id', kb.knowledgeBaseId, KNOWLEDGE_BASE_ID, '10 letters or digits');
    v.integer('numberOfResults', o.numberOfResults, 1, LIMITS.maxRetrievalResults);
    v.check(
      o.minScore,
      (s) => s >= 0 && s <= 1,
      (s) => `minScore must be between 0 and 1, got ${s}`,
    );
    v.check(
      o.fallbackAnswer,
      (a) => a.trim() !== '' && a.length <= LIMITS.maxFallbackAnswerChars,
      (a) => `fallbackAnswer must be 1 to ${LIMITS.maxFallbackAnswerChars} characters (not blank), got ${a.length}`,
    );
    const models = bindModels(v, scope, this.models, o);
    // Retrieve runs where the knowledge base is; the runtime calls the function's own region unless told otherwise.
    const region = kb.env.region;
    const sameRegion = Token.compareStrings(region, Stack.of(scope).region) === TokenComparison.SAME;
    return {
      bundle: BUNDLES.ragChat,
      environment: {
        ...models.environment,
        [ENV.knowledgeBaseId]: kb.knowledgeBaseId,
        ...(kb instanceof KnowledgeBase && kb.documentsPrefix !== '' ? { [ENV.knowledgeBaseDocumentsPrefix]: kb.documentsPrefix } : {}),
        ...(sameRegion ? {} : { [ENV.knowledgeBaseRegion]: region }),
        [ENV.retrievalResults]: String(o.numberOfResults ?? DEFAULTS.retrievalResults),
        [ENV.retrievalMinScore]: String(o.minScore ?? DEFAULTS.retrievalMinScore),
        ...(o.fallbackAnswer !== undefined ? { [ENV.retrievalFallbackAnswer]: o.fallbackAnswer } : {}),
      },
      bedrockStatements: [...models.statements, retrieveStatement(kb.knowledgeBaseArn)],
    };
  }

  public bedrockStatements(scope: Construct): iam.PolicyStatement[] {
    const models = bindModels(Validator.of('ChatBackend.knowledgeBase', scope), scope, this.models, this.options);
    return [...models.statements, retrieveStatement(this.knowledgeBase.knowledgeBaseArn)];
  }
}

class AgentBackend extends ChatBackend {
  constructor(
    private readonly agentAlias: BedrockAgentAlias | undefined,
    private readonly options: AgentBackendOptions,
  ) {
    super();
  }

  public bind(scope: Construct, options: ChatBackendBindOptions): ChatBackendConfig {
    const v = Validator.of(this.agentAlias ? 'ChatBackend.agent' : 'ChatBackend.callerChosenAgent', scope);
    const alias = this.agentAlias;
    const aliasEnvironment: Record<string, string> = alias ? { [ENV.agentId]: alias.agentId, [ENV.agentAliasId]: alias.agentAliasId } : {};
    if (this.options.allowCallerChoice) {
      if (this.options.history) {
        v.fail('allowCallerChoice: a stored chat keeps one agent session, so its agent cannot change per request: drop history or allowCallerChoice');
      }
      if ((options.accessMode ?? BedrockAccessMode.FUNCTION_ROLE) !== BedrockAccessMode.CALLER_CREDENTIALS) {
        v.fail(
          'a caller may name the agent only when it calls Bedrock with its own credentials: use access: BedrockAccess.callerCredentials() ' +
            "(the function's role, or a role it assumes, would need bedrock:InvokeAgent on every agent alias), or leave allowCallerChoice out",
        );
      }
      // Nothing to grant: every call is signed by the caller, whose identity needs InvokeAgent on the alias it names.
      return { bundle: BUNDLES.agentChat, environment: { ...aliasEnvironment, [ENV.agentCallerChoice]: 'true' }, bedrockStatements: [] };
    }
    if (!alias) return v.fail('no agent alias to answer with');
    if (!this.options.history) {
      return { bundle: BUNDLES.agentChat, environment: aliasEnvironment, bedrockStatements: this.bedrockStatements(scope) };
    }
    const history = bindHistory(v, scope, this.options.history, options);
    return {
      bundle: BUNDLES.storedAgentChat,
      environment: { ...aliasEnvironment, ...history.environment },
      bedrockStatements: this.bedrockStatements(scope),
      historyTable: history.table,
    };
  }

  public bedrockStatements(scope: Construct): iam.PolicyStatement[] {
    if (!this.agentAlias || this.options.allowCallerChoice) {
      return Validator.of('ChatBackend.agent', scope).fail(
        "agents the caller names are called with the caller's own credentials: no role holds their statements (grant each caller " +
          'bedrock:InvokeAgent on its alias ARN instead)',
      );
    }
    return [invokeAgentStatement(this.agentAlias.aliasArn(scope))];
  }
}

/** The models' environment (`CHAT_MODELS`, generation settings) and their invoke statements. */
function bindModels(v: Validator, scope: Construct, models: Record<string, IBedrockInvokable>, o: ModelGenerationOptions) {
  const aliases = Object.keys(models);
  if (aliases.length === 0)
    v.fail(
      "models must name at least one model alias, e.g. { haiku: BedrockModel.inferenceProfile('global.anthropic.claude-haiku-4-5-20251001-v1:0') }",
    );
  if (aliases.length > LIMITS.maxModels) v.fail(`models may name at most ${LIMITS.maxModels} aliases, got ${aliases.length}`);
  for (const alias of aliases)
    v.check(
      alias,
      (a) => MODEL_ALIAS.test(a),
      (a) => `model alias '${a}' must be ${MODEL_ALIAS_RULE}`,
    );
  v.integer('maxTokens', o.maxTokens, 1, LIMITS.maxTokens);
  v.check(
    o.systemPrompt,
    (p) => p.trim() !== '' && p.length <= LIMITS.maxSystemPromptChars,
    () => `systemPrompt must be 1 to ${LIMITS.maxSystemPromptChars} characters, not blank (Lambda environment variables total at most 4 KB)`,
  );

  const prices = bindPrices(v, aliases, o.prices);

  const stack = Stack.of(scope);
  const targets = new Map<string, ModelTarget>();
  const ids: Record<string, string> = {};
  for (const alias of aliases) {
    const target = modelTargetOf(models[alias], `${v.where} model '${alias}'`, stack.region);
    ids[alias] = invocationId(target);
    targets.set(ids[alias], target); // two aliases of one model are granted once
  }
  const access = { partition: Aws.PARTITION, region: stack.region, account: stack.account };
  const statements = [...targets.values()].flatMap((t) => {
    try {
      return modelAccessStatements(t, [BEDROCK_ACTIONS.converseStream], access);
    } catch (e) {
      return v.fail((e as Error).message);
    }
  });
  return {
    environment: {
      [ENV.models]: JSON.stringify(ids),
      [ENV.maxTokens]: String(o.maxTokens ?? DEFAULTS.maxTokens),
      ...(o.systemPrompt !== undefined ? { [ENV.systemPrompt]: o.systemPrompt } : {}),
      ...(prices !== undefined ? { [ENV.modelPrices]: prices } : {}),
    },
    statements,
  };
}

/** `CHAT_MODEL_PRICES` (alias → `{ input, output, cacheRead?, cacheWrite? }`), or undefined without prices. */
function bindPrices(v: Validator, aliases: string[], prices: Record<string, ModelPrice> | undefined): string | undefined {
  if (prices === undefined) return undefined;
  const rendered: Record<string, Record<string, number>> = {};
  for (const [alias, price] of Object.entries(prices)) {
    if (!aliases.includes(alias)) v.fail(`prices names '${alias}', which is not a model alias of this backend (${aliases.join(', ')})`);
    const fields = {
      input: price.inputPerMillionTokens,
      output: price.outputPerMillionTokens,
      cacheRead: price.cacheReadPerMillionTokens,
      cacheWrite: price.cacheWritePerMillionTokens,
    };
    for (const [field, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      v.check(
        value,
        (n) => Number.isFinite(n) && n >= 0,
        (n) => `prices['${alias}'] ${field} must be a number of US dollars per million tokens (>= 0), got ${n}`,
      );
    }
    rendered[alias] = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Record<string, number>;
  }
  return JSON.stringify(rendered);
}

/** Stored chats: a table (given or created), its grants to the function, `HISTORY_*`. */
function bindHistory(v: Validator, scope: Construct, history: ChatHistoryOptions, options: ChatBackendBindOptions) {
  if (options.authMode !== ChatAuthMode.JWT) {
    v.fail(
      'stored chats (history) need a signed-in user to own them, and IAM callers have none: ' +
        'use ChatAuth.jwt(...) or ChatAuth.cognito(...), or drop history (callers then send earlier turns with each message)',
    );
  }
  v.integer('history.turns', history.turns, 0, LIMITS.maxHistoryTurns);
  const retentionDays = history.retention?.toDays({ integral: false });
  v.check(
    retentionDays,
    (days) => Number.isInteger(days) && days >= 1 && days <= LIMITS.maxHistoryRetentionDays,
    (days) => `history.retention must be whole days from 1 to ${LIMITS.maxHistoryRetentionDays}, got ${days} days`,
  );
  const table = history.table ?? new ChatHistoryTable(scope, 'HistoryTable', { removalPolicy: options.removalPolicy });
  table.grantReadChats(options.grantee);
  table.grantAppendChats(options.grantee);
  table.grantDeleteChats(options.grantee);
  return {
    table,
    environment: {
      [ENV.historyTable]: table.tableName,
      [ENV.historyTurns]: String(history.turns ?? DEFAULTS.historyTurns),
      ...(retentionDays === undefined ? {} : { [ENV.historyRetentionDays]: String(retentionDays) }),
    },
  };
}
