import { ArnFormat, Aws, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BedrockAgentAlias } from '../bedrock/bedrock-agent';
import { BedrockModel } from '../bedrock/bedrock-model';
import { BEDROCK_ACTIONS, modelAccessStatements } from '../bedrock/model-access';
import { BUNDLE_HANDLER, BUNDLES, type BundleName } from '../../contract/bundles';
import { bundleCode } from '../private/bundles';
import { ChatAuth, ChatAuthConfig } from './chat-auth';
import { ChatHistoryTable, IChatHistoryTable } from './chat-history-table';
import { IKnowledgeBase } from './knowledge-base';
import { ManagedPolicyRole } from '../iam/managed-policy-role';
import { IRateLimitTable, RateLimitTable } from './rate-limit-table';

/** Per-caller request limits. */
export interface ChatRateLimitOptions {
  /**
   * The counters table.
   * @default - a new `RateLimitTable` with this construct's `removalPolicy`
   */
  readonly table?: IRateLimitTable;

  /**
   * Requests each caller may make per minute; the next one gets 429 with `Retry-After`.
   * @default 10
   */
  readonly requestsPerMinute?: number;

  /**
   * When the counters table cannot be reached: `true` lets the request through (the seed's
   * choice: an outage of the limiter does not take the chat down), `false` answers 503.
   * @default true
   */
  readonly failOpen?: boolean;
}

/** Retrieval settings for a knowledge-base-backed chat. */
export interface ChatRetrievalOptions {
  /**
   * Passages retrieved per question (1 to 100).
   * @default 5
   */
  readonly numberOfResults?: number;
  /**
   * Passages scoring below this (0 to 1) are dropped; none left means the fallback answer.
   * @default 0.4
   */
  readonly minScore?: number;
  /**
   * The answer when no passage is relevant enough; sent without calling the model.
   * @default "I'm sorry, but I can only answer questions related to our company's services."
   */
  readonly fallbackAnswer?: string;
}

/** Cross-origin access to the Function URL, for browser clients. */
export interface ChatCorsOptions {
  /** Origins allowed to call, e.g. `https://chat.example.com`. No wildcard with credentials. */
  readonly allowedOrigins: string[];

  /**
   * How long browsers may cache the preflight answer.
   * @default Duration.minutes(10)
   */
  readonly maxAge?: Duration;
}

export interface BedrockChatFunctionProps {
  /**
   * How callers authenticate.
   * @default ChatAuth.iam()
   */
  readonly auth?: ChatAuth;

  /**
   * The models a caller may choose, by alias (`{ "model": "haiku" }` in a request). The first
   * entry is the default. Each gets least-privilege invoke permissions, nothing else.
   * Give either `models` or `agent`.
   * @default - none: `agent` answers
   */
  readonly models?: Record<string, BedrockModel>;

  /**
   * A Bedrock Agent alias that answers instead of a model (`InvokeAgent`, its session tied to the
   * chat). Needs JWT auth: the agent's session is the signed-in user's chat.
   * @default - none: `models` answer
   */
  readonly agent?: BedrockAgentAlias;

  /**
   * Answer only from this knowledge base (retrieval-augmented generation, seed 003): the top
   * passages of each question go into the prompt's context block (IAM auth).
   * @default - no retrieval
   */
  readonly knowledgeBase?: IKnowledgeBase;

  /**
   * How retrieval runs, with `knowledgeBase`.
   * @default - 5 passages, minimum relevance score 0.4
   */
  readonly retrieval?: ChatRetrievalOptions;

  /**
   * Where signed-in users' chats are kept (JWT auth only).
   * @default - with JWT auth, a new `ChatHistoryTable` with this construct's `removalPolicy`
   */
  readonly history?: IChatHistoryTable;

  /**
   * How many of a chat's latest turns are sent back to the model with a new message (JWT auth).
   * @default 10
   */
  readonly historyTurns?: number;

  /**
   * Per-caller rate limiting (always on).
   * @default - a new table, 10 requests per minute, fail-open
   */
  readonly rateLimit?: ChatRateLimitOptions;

  /**
   * The system prompt sent with every conversation, kept apart from the user's text.
   * @default - a built-in assistant prompt that treats user text as a question, never as instructions
   */
  readonly systemPrompt?: string;

  /**
   * Upper bound on tokens generated per answer; also bounds the work done after a client leaves.
   * @default 1024
   */
  readonly maxTokens?: number;

  /**
   * Concurrent executions reserved for (and capped at) this function: the blast radius of a flood.
   * @default 10
   */
  readonly reservedConcurrency?: number;

  /**
   * Memory, which also sets the CPU share (cold start and TLS handshakes are CPU-bound).
   * @default 512
   */
  readonly memorySize?: number;

  /**
   * Hard limit per request; the handler stops generating a few seconds before it.
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;

  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * The KMS key that encrypts the function's log group. The construct adds the key-policy statement
   * CloudWatch Logs needs (one key can serve many functions).
   * @default - a new key with rotation enabled
   */
  readonly logEncryptionKey?: kms.IKey;

  /**
   * What happens to stateful resources this construct creates (log group, key, rate-limit table).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * CORS for the Function URL.
   * @default - no CORS headers: browsers on other origins cannot call the URL
   */
  readonly cors?: ChatCorsOptions;
}

// A leading letter: JSON.parse would move a number-like alias to the front and change the default model.
const ALIAS = /^[a-z][a-z0-9._-]{0,31}$/;
const MAX_TIMEOUT = Duration.minutes(15);

/**
 * A streaming chat backend on Amazon Bedrock: a Node.js Lambda function behind a Function URL in
 * `RESPONSE_STREAM` mode, with per-caller rate limiting, its own encrypted log group, reserved
 * concurrency, X-Ray tracing and least-privilege access to exactly the configured models.
 */
export class BedrockChatFunction extends Construct {
  public readonly function: lambda.Function;
  public readonly functionUrl: lambda.FunctionUrl;
  public readonly role: ManagedPolicyRole;
  public readonly logGroup: logs.LogGroup;
  public readonly rateLimitTable: IRateLimitTable;
  /** The chat history table, with JWT auth. */
  public readonly historyTable?: IChatHistoryTable;

  constructor(scope: Construct, id: string, props: BedrockChatFunctionProps) {
    super(scope, id);
    const auth = (props.auth ?? ChatAuth.iam()).bind(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const rateLimit = props.rateLimit ?? {};
    const requestsPerMinute = rateLimit.requestsPerMinute ?? 10;
    const maxTokens = props.maxTokens ?? 1024;
    const timeout = props.timeout ?? Duration.seconds(60);
    this.validate(props, auth, { requestsPerMinute, maxTokens, timeout });

    const logEncryptionKey = props.logEncryptionKey ?? new kms.Key(this, 'LogKey', {
      description: `Encrypts the logs of ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy,
    });
    allowCloudWatchLogs(logEncryptionKey);
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      encryptionKey: logEncryptionKey,
      removalPolicy,
    });

    this.role = new ManagedPolicyRole(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Bedrock chat function: its log group, its rate-limit table and its models only',
    });
    this.role.addToPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [this.logGroup.logGroupArn],
    }));

    this.rateLimitTable = rateLimit.table ?? new RateLimitTable(this, 'RateLimitTable', { removalPolicy });
    if (auth.mode === 'jwt') this.historyTable = props.history ?? new ChatHistoryTable(this, 'HistoryTable', { removalPolicy });

    this.function = new lambda.Function(this, 'Resource', {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      code: bundleCode(selectBundle(auth, props)),
      handler: BUNDLE_HANDLER,
      role: this.role,
      memorySize: props.memorySize ?? 512,
      timeout,
      reservedConcurrentExecutions: props.reservedConcurrency ?? 10,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      tracing: lambda.Tracing.ACTIVE,
      description: 'Streams Amazon Bedrock answers through a Function URL',
      environment: {
        ...(props.models ? { CHAT_MODELS: JSON.stringify(Object.fromEntries(Object.entries(props.models).map(([alias, m]) => [alias, m.invocationId]))) } : {}),
        ...(props.agent ? { AGENT_ID: props.agent.agentId, AGENT_ALIAS_ID: props.agent.agentAliasId } : {}),
        CHAT_MAX_TOKENS: String(maxTokens),
        ...(props.systemPrompt !== undefined ? { CHAT_SYSTEM_PROMPT: props.systemPrompt } : {}),
        RATE_LIMIT_TABLE_NAME: this.rateLimitTable.tableName,
        RATE_LIMIT_PER_MINUTE: String(requestsPerMinute),
        RATE_LIMIT_FAIL_OPEN: String(rateLimit.failOpen ?? true),
        ...(props.knowledgeBase ? retrievalEnvironment(props.knowledgeBase, props.retrieval ?? {}) : {}),
        ...(this.historyTable ? { HISTORY_TABLE_NAME: this.historyTable.tableName, HISTORY_TURNS: String(props.historyTurns ?? 10) } : {}),
        ...auth.environment,
      },
    });
    this.function.node.addDependency(this.role);

    this.rateLimitTable.grantConsume(this.role);
    const stack = Stack.of(this);
    const scopeOfAccess = { partition: Aws.PARTITION, region: stack.region, account: stack.account };
    for (const model of uniqueModels(props.models ?? {})) {
      for (const statement of modelAccessStatements(model, [BEDROCK_ACTIONS.converseStream], scopeOfAccess)) {
        this.role.addToPolicy(statement);
      }
    }
    props.agent?.grantInvoke(this.role);
    props.knowledgeBase?.grantRetrieve(this.role);
    if (this.historyTable) {
      this.historyTable.grantReadChats(this.role);
      this.historyTable.grantAppendChats(this.role);
      this.historyTable.grantDeleteChats(this.role);
    }

    this.functionUrl = this.function.addFunctionUrl({
      authType: auth.functionUrlAuthType,
      invokeMode: lambda.InvokeMode.RESPONSE_STREAM,
      cors: props.cors && {
        allowedOrigins: props.cors.allowedOrigins,
        allowedMethods: auth.mode === 'jwt' ? [lambda.HttpMethod.GET, lambda.HttpMethod.POST, lambda.HttpMethod.DELETE] : [lambda.HttpMethod.POST],
        allowedHeaders: auth.mode === 'jwt'
          ? ['content-type', 'accept', 'authorization', 'id_token']
          : ['content-type', 'accept', 'authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256'],
        exposedHeaders: ['x-request-id', 'retry-after'],
        maxAge: props.cors.maxAge ?? Duration.minutes(10),
      },
    });

    this.acknowledgeInherentFindings(auth);
  }

  /** Lets `grantee` call the Function URL: `lambda:InvokeFunctionUrl` and `lambda:InvokeFunction`, each with its URL condition. */
  public grantInvokeUrl(grantee: iam.IGrantable): iam.Grant {
    return this.function.grantInvokeUrl(grantee);
  }

  private validate(props: BedrockChatFunctionProps, auth: ChatAuthConfig, v: { requestsPerMinute: number; maxTokens: number; timeout: Duration }): void {
    const where = `BedrockChatFunction ${this.node.path}`;
    if (props.agent && props.models) throw new Error(`${where}: give either models or agent, not both`);
    if (props.agent && auth.mode !== 'jwt') throw new Error(`${where}: an agent backend needs JWT auth (ChatAuth.jwt or ChatAuth.cognito): its sessions are signed-in users' chats`);
    if (props.knowledgeBase && (auth.mode !== 'iam' || props.agent)) throw new Error(`${where}: knowledgeBase works with IAM auth and models (the guest RAG chat of seed 003)`);
    if (props.retrieval && !props.knowledgeBase) throw new Error(`${where}: retrieval needs a knowledgeBase`);
    const r = props.retrieval ?? {};
    if (r.numberOfResults !== undefined && (!Number.isInteger(r.numberOfResults) || r.numberOfResults < 1 || r.numberOfResults > 100)) throw new Error(`${where}: retrieval.numberOfResults must be a whole number from 1 to 100, got ${r.numberOfResults}`);
    if (r.minScore !== undefined && !(r.minScore >= 0 && r.minScore <= 1)) throw new Error(`${where}: retrieval.minScore must be between 0 and 1, got ${r.minScore}`);
    if (r.fallbackAnswer !== undefined && (r.fallbackAnswer.trim() === '' || r.fallbackAnswer.length > 1000)) throw new Error(`${where}: retrieval.fallbackAnswer must be 1 to 1000 characters`);
    if (props.history && auth.mode !== 'jwt') throw new Error(`${where}: history needs JWT auth (ChatAuth.jwt or ChatAuth.cognito): IAM callers have no stable user to own chats`);
    const ht = props.historyTurns;
    if (ht !== undefined && (!Number.isInteger(ht) || ht < 0 || ht > 50)) throw new Error(`${where}: historyTurns must be a whole number from 0 to 50, got ${ht}`);
    const aliases = Object.keys(props.models ?? {});
    if (!props.agent && aliases.length === 0) throw new Error(`${where}: models must name at least one model alias (or give an agent)`);
    const badAlias = aliases.find((a) => !ALIAS.test(a));
    if (badAlias !== undefined) {
      throw new Error(`${where}: model alias '${badAlias}' must be 1-32 lower-case letters, digits, '.', '_' or '-', starting with a letter`);
    }
    if (!Token.isUnresolved(v.requestsPerMinute) && (!Number.isInteger(v.requestsPerMinute) || v.requestsPerMinute < 1)) {
      throw new Error(`${where}: rateLimit.requestsPerMinute must be a whole number of at least 1, got ${v.requestsPerMinute}`);
    }
    if (!Number.isInteger(v.maxTokens) || v.maxTokens < 1 || v.maxTokens > 64000) {
      throw new Error(`${where}: maxTokens must be a whole number from 1 to 64000, got ${v.maxTokens}`);
    }
    if (v.timeout.toSeconds() < 5 || v.timeout.toSeconds() > MAX_TIMEOUT.toSeconds()) {
      throw new Error(`${where}: timeout must be between 5 seconds and 15 minutes, got ${v.timeout.toSeconds()} seconds`);
    }
    if (props.systemPrompt !== undefined && (props.systemPrompt.trim() === '' || props.systemPrompt.length > 3000)) {
      throw new Error(`${where}: systemPrompt must be 1 to 3000 characters (Lambda environment variables total at most 4 KB)`);
    }
    const rc = props.reservedConcurrency;
    if (rc !== undefined && !Token.isUnresolved(rc) && (!Number.isInteger(rc) || rc < 1)) {
      throw new Error(`${where}: reservedConcurrency must be a whole number of at least 1, got ${rc}`);
    }
    const origins = props.cors?.allowedOrigins ?? [];
    const badOrigin = origins.find((o) => o !== '*' && !/^https?:\/\/[^/\s]+$/.test(o));
    if (props.cors && (origins.length === 0 || badOrigin !== undefined)) {
      throw new Error(`${where}: cors.allowedOrigins must be origins like 'https://chat.example.com' (scheme and host, no path), got ${JSON.stringify(origins)}`);
    }
  }

  private acknowledgeInherentFindings(auth: ChatAuthConfig): void {
    Validations.of(this.role.policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Only X-Ray PutTraceSegments and PutTelemetryRecords use Resource *: they support no resource-level permissions (Service Authorization Reference). Every other statement names exact ARNs.',
    });
    const synchronousOnly = 'The function is only invoked synchronously through its Function URL (RequestResponse); Lambda never sends such events to a dead-letter queue, so one would stay empty. Failures are answered to the caller and logged.';
    const noVpc = 'Lambda Function URLs do not support response streaming from functions in a VPC (Lambda Developer Guide, "VPC compatibility with response streaming"); the function reaches only AWS APIs over TLS with SigV4 and has no private resources to protect.';
    Validations.of(this.function).acknowledge(
      { id: 'Serverless-LambdaDLQ', reason: synchronousOnly },
      { id: 'NIST.800.53.R5-LambdaDLQ', reason: synchronousOnly },
      { id: 'HIPAA.Security-LambdaDLQ', reason: synchronousOnly },
      { id: 'NIST.800.53.R5-LambdaInsideVPC', reason: noVpc },
      { id: 'HIPAA.Security-LambdaInsideVPC', reason: noVpc },
    );
    if (auth.mode === 'jwt') {
      // With auth type NONE, aws-cdk-lib adds two resource-policy statements for principal *: one per URL invoke action.
      const publicByDesign = 'JWT auth: the Function URL is public by design (auth type NONE) and the handler verifies every request\'s token (JWKS signature, algorithm allow-list, iss, aud, exp/nbf, required claims) before any other work; this permission only admits invocations through the Function URL.';
      for (const id of ['invoke-function-url', 'invoke-function']) {
        const permission = this.function.node.tryFindChild(id);
        if (!permission) throw new Error(`BedrockChatFunction ${this.node.path}: expected the Function URL permission '${id}' (aws-cdk-lib changed how NONE URLs are permitted)`);
        Validations.of(permission).acknowledge(
          { id: 'NIST.800.53.R5-LambdaFunctionPublicAccessProhibited', reason: publicByDesign },
          { id: 'HIPAA.Security-LambdaFunctionPublicAccessProhibited', reason: publicByDesign },
        );
      }
    }
  }
}

/**
 * CloudWatch Logs encrypts with the key on the log group's behalf, for this account's log groups
 * in this region only. A key imported with `fromKeyArn` keeps its own policy (nothing is added),
 * and must already allow this.
 */
function allowCloudWatchLogs(key: kms.IKey): void {
  const stack = Stack.of(key);
  key.addToResourcePolicy(new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    resources: ['*'],
    conditions: {
      ArnLike: { 'kms:EncryptionContext:aws:logs:arn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
    },
  }), false);
}

/** One bundle per deployed mode, carrying only the clients that mode calls. */
function selectBundle(auth: ChatAuthConfig, props: BedrockChatFunctionProps): BundleName {
  if (auth.mode === 'iam') return props.knowledgeBase ? BUNDLES.ragChat : BUNDLES.modelChat;
  return props.agent ? BUNDLES.storedAgentChat : BUNDLES.storedModelChat;
}

function retrievalEnvironment(kb: IKnowledgeBase, r: ChatRetrievalOptions): Record<string, string> {
  return {
    KNOWLEDGE_BASE_ID: kb.knowledgeBaseId,
    RETRIEVAL_RESULTS: String(r.numberOfResults ?? 5),
    RETRIEVAL_MIN_SCORE: String(r.minScore ?? 0.4),
    ...(r.fallbackAnswer !== undefined ? { RETRIEVAL_FALLBACK_ANSWER: r.fallbackAnswer } : {}),
  };
}

/** Two aliases may point at one model; grant it once. */
function uniqueModels(models: Record<string, BedrockModel>): BedrockModel[] {
  const byId = new Map<string, BedrockModel>();
  for (const model of Object.values(models)) byId.set(model.invocationId, model);
  return [...byId.values()];
}
