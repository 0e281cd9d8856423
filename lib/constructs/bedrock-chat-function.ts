import { ArnFormat, Duration, Lazy, PhysicalName, RemovalPolicy, Stack, Token, TokenComparison, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { BUNDLE_HANDLER, BUNDLES, BundleName } from '../../contract/bundles';
import { FUNCTION_URL_CORS } from '../../contract/cors';
import { CONTRACT_ENV_NAMES, DEFAULTS, ENV } from '../../contract/env';
import { LIMITS } from '../../contract/limits';
import { METRIC_DIMENSIONS, METRICS, type MetricKey } from '../../contract/metrics';
import { RATE_LIMIT_NAMESPACE } from '../../contract/patterns';
import { addGuardrailStatements } from '../private/bedrock-statements';
import { bundleCode } from '../private/bundles';
import { chatMetric } from '../private/chat-metrics';
import { createCustomerManagedKey } from '../private/customer-managed-key';
import { allowCloudWatchLogs } from '../private/log-encryption';
import { ManagedPolicyRole } from '../private/managed-policy-role';
import { Validator } from '../private/validation';
import { BedrockAccess } from './bedrock-access';
import { ChatAuth, ChatAuthConfig, ChatAuthMode } from './chat-auth';
import { ChatBackend } from './chat-backend';
import { ChatGuardrail, GuardrailStreamProcessingMode, IChatGuardrail } from './chat-guardrail';
import { IChatHistoryTable } from './chat-history-table';
import { IRateLimitTable, RateLimitTable } from './rate-limit-table';

/** A chat function: its Lambda function and Function URL, and who may call it. */
export interface IBedrockChatFunction extends IConstruct {
  /** The Lambda function behind the URL. */
  readonly function: lambda.IFunction;
  /**
   * The function's name.
   * @attribute
   */
  readonly functionName: string;
  /**
   * The function's ARN.
   * @attribute
   */
  readonly functionArn: string;
  /**
   * The Function URL callers send chat requests to.
   * @attribute
   */
  readonly url: string;
  /**
   * Lets `grantee` call the `AWS_IAM` Function URL: `lambda:InvokeFunctionUrl` (auth type `AWS_IAM`) and
   * `lambda:InvokeFunction` (only through a Function URL), on this function only. Throws for a public URL (JWT auth),
   * which has nothing to grant.
   */
  grantInvokeUrl(grantee: iam.IGrantable): iam.Grant;

  /**
   * The function's reserved concurrency, when known (the concurrency alarm compares against it).
   */
  readonly reservedConcurrency?: number;

  /** Requests (1 per request, from the summary line), optionally of one outcome code (`ok`, an error code). */
  metricOutcomes(options?: ChatOutcomeMetricOptions): cloudwatch.Metric;
  /** From the request's arrival to the first text sent (p99 by default). */
  metricTimeToFirstToken(options?: ChatModelMetricOptions): cloudwatch.Metric;
  /** Tokens of one direction (input, output, cache read, cache write), optionally of one model alias. */
  metricTokens(options?: ChatTokenMetricOptions): cloudwatch.Metric;
  /** Estimated cost in US dollars (models with prices only), optionally of one model alias. */
  metricEstimatedCost(options?: ChatModelMetricOptions): cloudwatch.Metric;
  /**
   * One of the 0/1 request flags (`ServerErrors`, `UpstreamErrors`, `UpstreamThrottles`, `RateLimited`,
   * `BudgetExhausted`, `GuardrailInterventions`): `Sum` counts, `Average` is the share of requests.
   */
  metricRequestFlag(flag: ChatRequestFlag, options?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** From the request's arrival to the response's end (p99 by default). */
  metricLatency(options?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/** Options of `metricOutcomes`. */
export interface ChatOutcomeMetricOptions extends cloudwatch.MetricOptions {
  /**
   * One outcome code (`ok`, `client_disconnected`, or an error code such as `throttled`).
   * @default - every request
   */
  readonly code?: string;
}

/** Options of the metrics that exist per model alias. */
export interface ChatModelMetricOptions extends cloudwatch.MetricOptions {
  /**
   * One model alias.
   * @default - every model of the function
   */
  readonly model?: string;
}

/** Which tokens. */
export enum ChatTokenDirection {
  INPUT = 'InputTokens',
  OUTPUT = 'OutputTokens',
  CACHE_READ = 'CacheReadInputTokens',
  CACHE_WRITE = 'CacheWriteInputTokens',
}

/** Options of `metricTokens`. */
export interface ChatTokenMetricOptions extends ChatModelMetricOptions {
  /** @default ChatTokenDirection.OUTPUT */
  readonly direction?: ChatTokenDirection;
}

/** The 0/1 flags each request publishes. */
export enum ChatRequestFlag {
  SERVER_ERRORS = 'serverErrors',
  UPSTREAM_ERRORS = 'upstreamErrors',
  UPSTREAM_THROTTLES = 'upstreamThrottles',
  RATE_LIMITED = 'rateLimited',
  BUDGET_EXHAUSTED = 'budgetExhausted',
  GUARDRAIL_INTERVENTIONS = 'guardrailInterventions',
}

/** An existing chat function. */
export interface BedrockChatFunctionAttributes {
  /** The function's ARN. */
  readonly functionArn: string;
  /** Its Function URL. */
  readonly url: string;
  /**
   * The URL's auth type (`NONE` for JWT auth, where there is nothing to grant).
   * @default lambda.FunctionUrlAuthType.AWS_IAM
   */
  readonly urlAuthType?: lambda.FunctionUrlAuthType;
}

/** Per-caller request limits. */
export interface ChatRateLimitOptions {
  /**
   * The counters table (one table can serve many functions: each counts in its own namespace).
   * @default - a new `RateLimitTable` with this construct's `removalPolicy`
   */
  readonly table?: IRateLimitTable;

  /**
   * Requests each caller may make per minute (1 to 100000); the next one gets 429 with `Retry-After`.
   * @default 10
   */
  readonly requestsPerMinute?: number;

  /**
   * When the counters table cannot be reached: `true` lets the request through (an outage of the limiter does not
   * take the chat down), `false` answers 503. A public-facing function (a public URL, or one whose callers include
   * guests: `addGuestRole`, `CognitoGuestPool.allowInvoke`) fails closed by default, because letting everyone
   * through unlimited during an outage is what an attacker would wait for; open stays an explicit choice.
   * @default - false for a public-facing function, true for one only IAM principals of your accounts may call
   */
  readonly failOpen?: boolean;

  /**
   * For a public URL (JWT auth): requests per minute per source address (an IPv6 address by its /64), counted
   * before the token is verified, so requests without a valid token are counted (and refused with 429) too. An
   * address can carry many users (an office's NAT), hence a budget above the per-user one. (Guests of an `AWS_IAM`
   * URL are already counted per address, after the URL verified their signature.)
   * @default - 5 × `requestsPerMinute` (at most 100000)
   */
  readonly requestsPerAddressPerMinute?: number;

  /**
   * A quota shared with other functions: every function with the same `quotaName` (and table) counts a caller's
   * requests together, so `requestsPerMinute` is the caller's budget across all of them. 1 to 64 of
   * `A-Z a-z 0-9 _ . -`.
   * @default - a quota of this function alone (a namespace derived from its construct path)
   */
  readonly quotaName?: string;
}

/**
 * Per-caller usage budgets per UTC day, counted from the usage Bedrock reports, in the rate-limit table (same
 * namespace as the request counters). Over budget: 429 `token_budget_exhausted` or `cost_budget_exhausted` with
 * `Retry-After` to the next UTC midnight. An API key's own budgets replace these for that key.
 */
export interface ChatBudgetOptions {
  /**
   * Tokens (input, output, cache read and cache write) each caller may use per UTC day.
   * @default - no token budget
   */
  readonly tokensPerDay?: number;
  /**
   * Estimated US dollars each caller may spend per UTC day, priced with the backend's `prices` (which must then
   * name every model).
   * @default - no cost budget
   */
  readonly costPerDayUsd?: number;
  /**
   * When the table cannot be read: `true` answers anyway, `false` answers 503 `budget_unavailable`.
   * @default false
   */
  readonly failOpen?: boolean;
}

/** Cross-origin access to the Function URL, for browser clients. */
export interface ChatCorsOptions {
  /** Origins allowed to call, e.g. `https://chat.example.com` (scheme and host; no wildcard). */
  readonly allowedOrigins: string[];

  /**
   * How long browsers may cache the preflight answer.
   * @default Duration.minutes(10)
   */
  readonly maxAge?: Duration;
}

export interface BedrockChatFunctionProps {
  /** What answers: `ChatBackend.models(...)`, `ChatBackend.knowledgeBase(...)` or `ChatBackend.agent(...)`. */
  readonly backend: ChatBackend;

  /**
   * How callers authenticate.
   * @default ChatAuth.iam()
   */
  readonly auth?: ChatAuth;

  /**
   * Whose credentials sign the calls to Bedrock: the function's role, a role it assumes (often in a central Bedrock
   * account), or each caller's own credentials. Works with every backend and auth.
   * @default BedrockAccess.functionRole()
   */
  readonly access?: BedrockAccess;

  /**
   * Per-caller rate limiting (always on).
   * @default - a new table, 10 requests per minute, fail-closed when public-facing, a quota of this function alone
   */
  readonly rateLimit?: ChatRateLimitOptions;

  /**
   * Per-caller daily token and cost budgets.
   * @default - no budgets (API keys with their own budgets still have them counted)
   */
  readonly budgets?: ChatBudgetOptions;

  /**
   * The function's name.
   * @default - a name CloudFormation generates
   */
  readonly functionName?: string;

  /**
   * The function's description.
   * @default 'Streams Amazon Bedrock answers through a Function URL'
   */
  readonly description?: string;

  /**
   * More environment variables for the function (e.g. for your own extensions). They are added to those the
   * construct writes from its props, and may not set any of those (`CHAT_*`, `RATE_LIMIT_*`, `JWT_*`, …).
   * @default - none
   */
  readonly environment?: Record<string, string>;

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
   * Hard limit per request (5 seconds to 15 minutes); the handler stops generating a few seconds before it.
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;

  /**
   * The log group the function writes to (give neither `logRetention` nor `logEncryptionKey` with it).
   * @default - a new log group, encrypted with `logEncryptionKey`, kept `logRetention`, named
   * `/aws/lambda/<functionName>` when `functionName` is given
   */
  readonly logGroup?: logs.ILogGroup;

  /**
   * How long the function's logs are kept, in the log group the construct creates.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * The KMS key that encrypts the log group the construct creates. The construct adds the key-policy statement
   * CloudWatch Logs needs (one key can serve many functions).
   * @default - a new key with rotation enabled
   */
  readonly logEncryptionKey?: kms.IKey;

  /**
   * What happens to stateful resources this construct creates (log group, key, rate-limit table, history table).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * CORS for the Function URL.
   * @default - no CORS headers: browsers on other origins cannot call the URL
   */
  readonly cors?: ChatCorsOptions;

  /**
   * A guardrail every model call names (Converse's `guardrailConfig`): its content filters, denied topics, PII and
   * word filters apply to the caller's input and the model's answer, and an intervention ends the answer with the
   * code `guardrail_intervened`. The role gets exactly `bedrock:ApplyGuardrail` on its ARN (and decrypt with its
   * key). A `ChatGuardrail`, `ChatGuardrail.fromGuardrailAttributes(...)`, or aws-bedrock-alpha's `Guardrail`.
   * Not for an agent backend: an agent applies the guardrail configured on the agent itself.
   * @default - no guardrail
   */
  readonly guardrail?: IChatGuardrail;

  /**
   * How a streamed answer passes the guardrail.
   * @default GuardrailStreamProcessingMode.SYNC
   */
  readonly guardrailStreamProcessingMode?: GuardrailStreamProcessingMode;

  /**
   * Make the guardrail unavoidable: every model-invoke statement of the role gets the condition
   * `bedrock:GuardrailIdentifier` = the guardrail's ARN and version, so the function's role cannot call a model
   * without it (Bedrock User Guide, "Enforce the use of specific guardrails in model inference requests").
   * @default false
   */
  readonly enforceGuardrail?: boolean;
}

const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const ENV_NAME = /^[a-zA-Z][a-zA-Z0-9_]*$/;
const ORIGIN = /^https?:\/\/[^/\s*]+$/;

/** What created and imported chat functions share: the URL grant. */
export abstract class BedrockChatFunctionBase extends Construct implements IBedrockChatFunction {
  public abstract readonly function: lambda.IFunction;
  public abstract readonly functionName: string;
  public abstract readonly functionArn: string;
  public abstract readonly url: string;
  /** The URL's auth type. */
  protected abstract readonly urlAuthType: lambda.FunctionUrlAuthType;

  public grantInvokeUrl(grantee: iam.IGrantable): iam.Grant {
    if (this.urlAuthType === lambda.FunctionUrlAuthType.NONE) {
      Validator.of('BedrockChatFunction', this).fail(
        'grantInvokeUrl: the Function URL is public (auth NONE; the handler verifies a bearer token), so there is no IAM permission to grant: ' +
          'callers send a token instead. Use ChatAuth.iam() for a URL that IAM callers are granted',
      );
    }
    return this.function.grantInvokeUrl(grantee);
  }

  public metricOutcomes(options: ChatOutcomeMetricOptions = {}): cloudwatch.Metric {
    const { code, ...props } = options;
    return chatMetric(this.functionName, 'requests', code !== undefined ? { [METRIC_DIMENSIONS.outcome]: code } : {}, props);
  }

  public metricTimeToFirstToken(options: ChatModelMetricOptions = {}): cloudwatch.Metric {
    const { model, ...props } = options;
    return chatMetric(this.functionName, 'timeToFirstToken', modelDimension(model), props, 'p99');
  }

  public metricTokens(options: ChatTokenMetricOptions = {}): cloudwatch.Metric {
    const { model, direction = ChatTokenDirection.OUTPUT, ...props } = options;
    const key = (Object.keys(METRICS) as MetricKey[]).find((k) => METRICS[k].name === direction) as MetricKey;
    return chatMetric(this.functionName, key, modelDimension(model), props);
  }

  public metricEstimatedCost(options: ChatModelMetricOptions = {}): cloudwatch.Metric {
    const { model, ...props } = options;
    return chatMetric(this.functionName, 'estimatedCost', modelDimension(model), props);
  }

  public metricRequestFlag(flag: ChatRequestFlag, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return chatMetric(this.functionName, flag as MetricKey, {}, options);
  }

  public metricLatency(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return chatMetric(this.functionName, 'latency', {}, options, 'p99');
  }
}

function modelDimension(model: string | undefined): Record<string, string> {
  return model !== undefined ? { [METRIC_DIMENSIONS.model]: model } : {};
}

/**
 * A streaming chat backend on Amazon Bedrock: a Node.js Lambda function behind a Function URL in
 * `RESPONSE_STREAM` mode, with per-caller rate limiting, its own encrypted log group, reserved
 * concurrency, X-Ray tracing and least-privilege access to exactly what its backend calls.
 */
export class BedrockChatFunction extends BedrockChatFunctionBase {
  /** A chat function that exists already, e.g. deployed by another team's stack. */
  public static fromFunctionAttributes(scope: Construct, id: string, attrs: BedrockChatFunctionAttributes): IBedrockChatFunction {
    return new ImportedBedrockChatFunction(scope, id, attrs);
  }

  public readonly function: lambda.IFunction;
  public readonly functionName: string;
  public readonly functionArn: string;
  public readonly url: string;
  /** The Function URL. */
  public readonly functionUrl: lambda.IFunctionUrl;
  /** The function's role; all its permissions are in one customer managed policy. */
  public readonly role: iam.IRole;
  /** Where the function logs. */
  public readonly logGroup: logs.ILogGroup;
  /** The counters table. */
  public readonly rateLimitTable: IRateLimitTable;
  /** The stored chats, when the backend keeps them. */
  public readonly historyTable?: IChatHistoryTable;
  public readonly reservedConcurrency?: number;
  protected readonly urlAuthType: lambda.FunctionUrlAuthType;

  private readonly servicePolicy: iam.ManagedPolicy;
  private readonly guestRoles: iam.IRole[] = [];

  constructor(scope: Construct, id: string, props: BedrockChatFunctionProps) {
    super(scope, id);
    const v = Validator.of('BedrockChatFunction', this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const rateLimit = props.rateLimit ?? {};
    const timeout = props.timeout ?? Duration.seconds(60);
    validateProps(v, props, timeout);
    const auth = (props.auth ?? ChatAuth.iam()).bind(this);
    this.urlAuthType = auth.functionUrlAuthType;

    this.logGroup = props.logGroup ?? this.createLogGroup(props, removalPolicy);

    const role = new ManagedPolicyRole(this, 'ServiceRole', {
      // Named only when another environment refers to it (a CrossAccountBedrockRole trusting it in the Bedrock account).
      roleName: PhysicalName.GENERATE_IF_NEEDED,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Bedrock chat function: its log group, its rate-limit table and its models only',
    });
    this.role = role;
    this.servicePolicy = role.policy;
    role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }));

    this.rateLimitTable = rateLimit.table ?? new RateLimitTable(this, 'RateLimitTable', { removalPolicy });
    const region = Stack.of(this).region;
    assertSameRegion(v, region, 'rateLimit.table', this.rateLimitTable);

    const access = (props.access ?? BedrockAccess.functionRole()).bind(this, { grantee: role });
    const backend = props.backend.bind(this, { grantee: role, authMode: auth.mode, removalPolicy, accessMode: access.mode });
    const guardrailEnvironment = this.bindGuardrail(v, props, backend.bundle, backend.bedrockStatements);
    this.historyTable = backend.historyTable;
    if (this.historyTable) assertSameRegion(v, region, 'the history table', this.historyTable);

    this.reservedConcurrency = props.reservedConcurrency ?? 10;
    const fn = new lambda.Function(this, 'Resource', {
      functionName: props.functionName,
      description: props.description ?? 'Streams Amazon Bedrock answers through a Function URL',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      code: bundleCode(backend.bundle as BundleName),
      handler: BUNDLE_HANDLER,
      role,
      memorySize: props.memorySize ?? 512,
      timeout,
      reservedConcurrentExecutions: this.reservedConcurrency,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        ...props.environment,
        ...backend.environment,
        ...access.environment,
        ...guardrailEnvironment,
        [ENV.rateLimitTable]: this.rateLimitTable.tableName,
        [ENV.rateLimitPerMinute]: String(rateLimit.requestsPerMinute ?? DEFAULTS.requestsPerMinute),
        // Public-facing is known once guests were added (addGuestRole), so the default is decided at synthesis.
        [ENV.rateLimitFailOpen]: Lazy.string({ produce: () => String(rateLimit.failOpen ?? !this.isPublicFacing) }),
        [ENV.rateLimitNamespace]: rateLimit.quotaName ?? this.node.addr,
        // A public URL counts each address before the token check; with ChatAuth.publicUrl() the address is the caller.
        ...(auth.functionUrlAuthType === lambda.FunctionUrlAuthType.NONE && auth.mode !== ChatAuthMode.PUBLIC
          ? {
              [ENV.rateLimitPerAddress]: String(
                rateLimit.requestsPerAddressPerMinute ??
                  Math.min(LIMITS.maxRequestsPerMinute, 5 * (rateLimit.requestsPerMinute ?? DEFAULTS.requestsPerMinute)),
              ),
            }
          : {}),
        ...budgetEnvironment(v, props.budgets, backend.environment[ENV.models], backend.environment[ENV.modelPrices]),
        ...auth.environment,
      },
    });
    fn.node.addDependency(role);
    this.rateLimitTable.grantConsume(role);
    auth.apiKeyTable?.grantVerify(role);
    if (access.functionRoleCallsBedrock) this.applyBedrockStatements(backend.bedrockStatements);
    this.function = fn;
    this.functionName = fn.functionName;
    this.functionArn = fn.functionArn;

    const storedChats = this.historyTable !== undefined;
    this.functionUrl = fn.addFunctionUrl({
      authType: auth.functionUrlAuthType,
      invokeMode: lambda.InvokeMode.RESPONSE_STREAM,
      cors: props.cors && {
        allowedOrigins: props.cors.allowedOrigins,
        allowedMethods: (
          backend.httpMethods ?? (storedChats ? FUNCTION_URL_CORS.allowMethods.storedChats : FUNCTION_URL_CORS.allowMethods.callerTurns)
        ).map((method) => lambda.HttpMethod[method as keyof typeof lambda.HttpMethod]),
        allowedHeaders: [...(auth.mode === ChatAuthMode.IAM ? FUNCTION_URL_CORS.allowHeaders.iam : FUNCTION_URL_CORS.allowHeaders.jwt)],
        exposedHeaders: [...FUNCTION_URL_CORS.exposeHeaders],
        maxAge: props.cors.maxAge ?? Duration.seconds(FUNCTION_URL_CORS.defaultMaxAgeSeconds),
      },
    });
    this.url = this.functionUrl.url;

    this.acknowledgeInherentFindings(fn, auth);
  }

  /**
   * Callers using sessions of `role` are guests (e.g. a Cognito identity pool's guest role): the function counts
   * them by source address, whatever session name they chose, and, unless `rateLimit.failOpen` says otherwise,
   * fails closed. `CognitoGuestPool.allowInvoke` calls this for its guest role.
   */
  public addGuestRole(role: iam.IRole): void {
    if (this.urlAuthType !== lambda.FunctionUrlAuthType.AWS_IAM) {
      Validator.of('BedrockChatFunction', this).fail(
        'addGuestRole: guests sign with IAM credentials, which only an AWS_IAM URL checks: use ChatAuth.iam()',
      );
    }
    if (this.guestRoles.includes(role)) return;
    if (this.guestRoles.length === 0) {
      (this.function as lambda.Function).addEnvironment(
        ENV.guestRoleArns,
        Lazy.string({ produce: () => this.guestRoles.map((r) => r.roleArn).join(',') }),
      );
    }
    this.guestRoles.push(role);
  }

  /**
   * The guardrail's environment and grants: `bedrock:ApplyGuardrail` on its ARN (decrypt with its key), and with
   * `enforceGuardrail` the `bedrock:GuardrailIdentifier` condition on every model-invoke statement.
   */
  private bindGuardrail(v: Validator, props: BedrockChatFunctionProps, bundle: string, statements: iam.PolicyStatement[]): Record<string, string> {
    const guardrail = props.guardrail;
    if (!guardrail) {
      if (props.guardrailStreamProcessingMode !== undefined || props.enforceGuardrail !== undefined) {
        v.fail('guardrailStreamProcessingMode and enforceGuardrail configure a guardrail: give guardrail as well');
      }
      return {};
    }
    if (bundle === BUNDLES.storedAgentChat || bundle === BUNDLES.agentChat) {
      v.fail(
        'guardrail: an agent applies the guardrail configured on the agent itself (its guardrailConfiguration), not one sent with the call: ' +
          'set it on the agent and leave guardrail out here',
      );
    }
    // Contextual grounding scores each chunk before it leaves only in sync mode; async would have sent an ungrounded answer already.
    if (
      guardrail instanceof ChatGuardrail &&
      guardrail.contextualGrounding !== undefined &&
      props.guardrailStreamProcessingMode === GuardrailStreamProcessingMode.ASYNC
    ) {
      v.fail(
        'guardrailStreamProcessingMode ASYNC with a guardrail that checks contextual grounding: an answer found ungrounded would already have been sent; ' +
          'use SYNC (the default)',
      );
    }
    // With the model statements, so they land wherever the Bedrock permissions are applied: the function's role only
    // when it calls Bedrock itself (an assumed role's CrossAccountBedrockRole takes the same guardrail instead).
    addGuardrailStatements(statements, guardrail, props.enforceGuardrail ?? false);
    return {
      [ENV.guardrailId]: guardrail.guardrailArn,
      [ENV.guardrailVersion]: guardrail.guardrailVersion,
      [ENV.guardrailStreamMode]: props.guardrailStreamProcessingMode ?? GuardrailStreamProcessingMode.SYNC,
    };
  }

  /** A public URL, or guests among the callers. */
  private get isPublicFacing(): boolean {
    return this.urlAuthType === lambda.FunctionUrlAuthType.NONE || this.guestRoles.length > 0;
  }

  /**
   * The one place the backend's Bedrock permissions land: the function's own role, when it is the identity that calls
   * Bedrock. With an assumed role they belong on that role (`CrossAccountBedrockRole`); with caller credentials on
   * each caller's identity.
   */
  private applyBedrockStatements(statements: iam.PolicyStatement[]): void {
    for (const statement of statements) this.role.addToPrincipalPolicy(statement);
  }

  private createLogGroup(props: BedrockChatFunctionProps, removalPolicy: RemovalPolicy): logs.ILogGroup {
    const key =
      props.logEncryptionKey ?? createCustomerManagedKey(this, 'LogKey', { description: `Encrypts the logs of ${this.node.path}`, removalPolicy });
    // The key policy names this log group only, so its name is decided here (a generated one would form a cycle).
    const logGroupName =
      props.functionName !== undefined ? `/aws/lambda/${props.functionName}` : `/bedrock-chat/${Stack.of(this).stackName}/${this.node.addr}`;
    allowCloudWatchLogs(
      key,
      Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    );
    return new logs.LogGroup(this, 'LogGroup', {
      logGroupName,
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      encryptionKey: key,
      removalPolicy,
    });
  }

  private acknowledgeInherentFindings(fn: lambda.Function, auth: ChatAuthConfig): void {
    Validations.of(this.servicePolicy).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only X-Ray PutTraceSegments and PutTelemetryRecords use Resource *: they support no resource-level permissions (Service Authorization Reference). Every other statement names exact ARNs.',
    });
    const synchronousOnly =
      'The function is only invoked synchronously through its Function URL (RequestResponse); Lambda never sends such events to a dead-letter queue, so one would stay empty. Failures are answered to the caller and logged.';
    const noVpc =
      'Lambda Function URLs do not support response streaming from functions in a VPC (Lambda Developer Guide, "VPC compatibility with response streaming"); the function reaches only AWS APIs over TLS with SigV4 and has no private resources to protect.';
    Validations.of(fn).acknowledge(
      { id: 'Serverless::Serverless-LambdaDLQ', reason: synchronousOnly },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ', reason: synchronousOnly },
      { id: 'HIPAA.Security::HIPAA.Security-LambdaDLQ', reason: synchronousOnly },
      { id: 'NIST.800.53.R4::NIST.800.53.R4-LambdaInsideVPC', reason: noVpc },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaInsideVPC', reason: noVpc },
      { id: 'HIPAA.Security::HIPAA.Security-LambdaInsideVPC', reason: noVpc },
      { id: 'PCI.DSS.321::PCI.DSS.321-LambdaInsideVPC', reason: noVpc },
    );
    if (auth.functionUrlAuthType === lambda.FunctionUrlAuthType.NONE) {
      // With auth type NONE, aws-cdk-lib adds two resource-policy statements for principal *: one per URL invoke action.
      const publicByDesign =
        auth.mode === ChatAuthMode.API_KEY
          ? "API key auth: the Function URL is public by design (auth type NONE, as OpenAI clients send a bearer key, not SigV4) and the handler looks up every request's key by its SHA-256 in the API key table (unknown, disabled and expired keys refused) before any other work; this permission only admits invocations through the Function URL."
          : auth.mode === ChatAuthMode.PUBLIC
            ? 'Public URL by design (ChatAuth.publicUrl): each source address is one caller, rate limited before any other work (failing closed unless configured otherwise); this permission only admits invocations through the Function URL.'
            : "JWT auth: the Function URL is public by design (auth type NONE) and the handler verifies every request's token (JWKS signature, algorithm allow-list, iss, aud, exp/nbf, required claims) before any other work; this permission only admits invocations through the Function URL.";
      for (const id of ['invoke-function-url', 'invoke-function']) {
        const permission = fn.node.tryFindChild(id);
        if (!permission)
          throw new Error(
            `BedrockChatFunction ${this.node.path}: expected the Function URL permission '${id}' (aws-cdk-lib changed how NONE URLs are permitted)`,
          );
        Validations.of(permission).acknowledge(
          { id: 'NIST.800.53.R4::NIST.800.53.R4-LambdaFunctionPublicAccessProhibited', reason: publicByDesign },
          { id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaFunctionPublicAccessProhibited', reason: publicByDesign },
          { id: 'HIPAA.Security::HIPAA.Security-LambdaFunctionPublicAccessProhibited', reason: publicByDesign },
          { id: 'PCI.DSS.321::PCI.DSS.321-LambdaFunctionPublicAccessProhibited', reason: publicByDesign },
        );
      }
    }
  }
}

class ImportedBedrockChatFunction extends BedrockChatFunctionBase {
  public readonly function: lambda.IFunction;
  public readonly functionName: string;
  public readonly functionArn: string;
  public readonly url: string;
  protected readonly urlAuthType: lambda.FunctionUrlAuthType;

  constructor(scope: Construct, id: string, attrs: BedrockChatFunctionAttributes) {
    super(scope, id);
    this.function = lambda.Function.fromFunctionArn(this, 'Function', attrs.functionArn);
    this.functionName = this.function.functionName;
    this.functionArn = attrs.functionArn;
    this.url = attrs.url;
    this.urlAuthType = attrs.urlAuthType ?? lambda.FunctionUrlAuthType.AWS_IAM;
  }
}

function validateProps(v: Validator, props: BedrockChatFunctionProps, timeout: Duration): void {
  const r = props.rateLimit ?? {};
  v.check(
    r.requestsPerMinute,
    (n) => Number.isInteger(n) && n >= 1 && n <= LIMITS.maxRequestsPerMinute,
    (n) => `rateLimit.requestsPerMinute must be a whole number of at least 1, got ${n} (at most ${LIMITS.maxRequestsPerMinute})`,
  );
  v.check(
    r.requestsPerAddressPerMinute,
    (n) => Number.isInteger(n) && n >= 1 && n <= LIMITS.maxRequestsPerMinute,
    (n) => `rateLimit.requestsPerAddressPerMinute must be a whole number of at least 1, got ${n} (at most ${LIMITS.maxRequestsPerMinute})`,
  );
  v.pattern('rateLimit.quotaName', r.quotaName, RATE_LIMIT_NAMESPACE, '1 to 64 of A-Z a-z 0-9 _ . -');
  v.check(
    timeout.toSeconds(),
    (s) => s >= 5 && s <= Duration.minutes(15).toSeconds(),
    (s) => `timeout must be between 5 seconds and 15 minutes, got ${s} seconds`,
  );
  v.check(
    props.reservedConcurrency,
    (n) => Number.isInteger(n) && n >= 1,
    (n) => `reservedConcurrency must be a whole number of at least 1, got ${n}`,
  );
  v.check(
    props.memorySize,
    (n) => Number.isInteger(n) && n >= 128 && n <= 10240,
    (n) => `memorySize must be a whole number of MB from 128 to 10240, got ${n}`,
  );
  v.pattern('functionName', props.functionName, FUNCTION_NAME, '1 to 64 of A-Z a-z 0-9 - _');
  v.check(
    props.description,
    (d) => d.length <= 256,
    (d) => `description must be at most 256 characters, got ${d.length}`,
  );
  for (const name of Object.keys(props.environment ?? {})) {
    if (CONTRACT_ENV_NAMES.includes(name)) {
      v.fail(
        `environment sets ${name}, which the construct writes from its props (auth, backend, rateLimit): set it through those, or rename your variable`,
      );
    }
    v.check(
      name,
      (n) => ENV_NAME.test(n),
      (n) => `environment variable name '${n}' must start with a letter and hold only letters, digits and _`,
    );
  }
  if (props.logGroup && (props.logRetention !== undefined || props.logEncryptionKey)) {
    v.fail('logRetention and logEncryptionKey configure the log group the construct creates: with logGroup, set them on your log group instead');
  }
  const origins = props.cors?.allowedOrigins ?? [];
  const badOrigin = origins.find((o) => !Token.isUnresolved(o) && !ORIGIN.test(o));
  if (props.cors && (origins.length === 0 || badOrigin !== undefined)) {
    v.fail(
      `cors.allowedOrigins must be origins like 'https://chat.example.com' (scheme and host, no path, no wildcard: list each site that may call), got ${JSON.stringify(origins)}`,
    );
  }
}

/** `BUDGET_*`, checked: positive budgets, the backend's prices for every model alias when a cost budget is set. */
function budgetEnvironment(
  v: Validator,
  budgets: ChatBudgetOptions | undefined,
  modelsJson: string | undefined,
  pricesJson: string | undefined,
): Record<string, string> {
  if (!budgets) return {};
  v.check(
    budgets.tokensPerDay,
    (n) => Number.isInteger(n) && n >= 1 && n <= LIMITS.maxTokensPerDay,
    (n) => `budgets.tokensPerDay must be a whole number from 1 to ${LIMITS.maxTokensPerDay}, got ${n}`,
  );
  v.check(
    budgets.costPerDayUsd,
    (n) => Number.isFinite(n) && n > 0 && n <= LIMITS.maxUsd,
    (n) => `budgets.costPerDayUsd must be more than 0 and at most ${LIMITS.maxUsd} US dollars, got ${n}`,
  );
  if (budgets.costPerDayUsd !== undefined && modelsJson !== undefined) {
    // The aliases are plain strings even where a model id is a token (the JSON stays parseable).
    const priced = Object.keys(JSON.parse(pricesJson ?? '{}') as object);
    const missing = Object.keys(JSON.parse(modelsJson) as object).filter((alias) => !priced.includes(alias));
    if (missing.length > 0) {
      v.fail(`budgets.costPerDayUsd needs a price for every model: add the backend's prices for ${missing.map((a) => `'${a}'`).join(', ')}`);
    }
  }
  return {
    ...(budgets.tokensPerDay !== undefined ? { [ENV.budgetTokensPerDay]: String(budgets.tokensPerDay) } : {}),
    ...(budgets.costPerDayUsd !== undefined ? { [ENV.budgetCostPerDayUsd]: String(budgets.costPerDayUsd) } : {}),
    [ENV.budgetFailOpen]: String(budgets.failOpen ?? false),
  };
}

/** The runtime calls DynamoDB in the function's own region. */
function assertSameRegion(v: Validator, here: string, what: string, table: IRateLimitTable | IChatHistoryTable): void {
  if (Token.compareStrings(table.env.region, here) === TokenComparison.DIFFERENT) {
    v.fail(
      `${what} is in ${table.env.region} but the function runs in ${here}: the runtime calls DynamoDB in its own region; use a table in ${here}`,
    );
  }
}
