import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { IBedrockInvokable } from '../bedrock/bedrock-model';
import { ApiKeyTable, IApiKeyTable } from './api-key-table';
import { BedrockAccess } from './bedrock-access';
import { BedrockChatFunction, ChatBudgetOptions, ChatCorsOptions, ChatRateLimitOptions } from './bedrock-chat-function';
import { ChatAuth } from './chat-auth';
import { ChatBackend, ModelPrice } from './chat-backend';
import { GuardrailStreamProcessingMode, IChatGuardrail } from './chat-guardrail';

export interface ChatCompletionsApiProps {
  /**
   * The models callers may name (`"model"` in a request) by alias or by Bedrock id; `GET /v1/models` lists the
   * aliases. Alias rules and grants as for `ChatBackend.models`.
   */
  readonly models: Record<string, IBedrockInvokable>;

  /**
   * The cap on `max_tokens` / `max_completion_tokens` (1 to 64000), and the value when a request sends neither.
   * @default 1024
   */
  readonly maxTokens?: number;

  /**
   * Prices of the models, by alias (US dollars per million tokens): the estimated cost in the logs and metrics, and
   * what `budgets.costPerDayUsd` is counted in (every model needs one then).
   * @default - no estimated cost
   */
  readonly prices?: Record<string, ModelPrice>;

  /**
   * A system prompt sent before the callers' own system messages.
   * @default - none: callers' system messages only
   */
  readonly systemPrompt?: string;

  /**
   * How callers authenticate. JWT or Cognito tokens work too (an OpenAI client sends any bearer token).
   * @default ChatAuth.apiKeys(apiKeyTable)
   */
  readonly auth?: ChatAuth;

  /**
   * Whose credentials call Bedrock: the function's role, a role assumed in another account, or the caller's own.
   * @default BedrockAccess.functionRole()
   */
  readonly access?: BedrockAccess;

  /**
   * The API keys (with the default `auth`).
   * @default - a new `ApiKeyTable` with this construct's `removalPolicy` and `deletionProtection`
   */
  readonly apiKeyTable?: IApiKeyTable;

  /**
   * Deletion protection of the API key table the construct creates (turn on in production).
   * @default false
   */
  readonly deletionProtection?: boolean;

  /**
   * Per-caller (per key) request limits; a key's own `requestsPerMinute` replaces `requestsPerMinute` for that key.
   * @default - a new table, 10 requests per minute, fail-open
   */
  readonly rateLimit?: ChatRateLimitOptions;

  /**
   * Per-caller (per key) daily token and cost budgets; a key's own budgets replace these for that key.
   * @default - none
   */
  readonly budgets?: ChatBudgetOptions;

  /** @default - a name CloudFormation generates */
  readonly functionName?: string;

  /** @default 10 */
  readonly reservedConcurrency?: number;

  /** @default 512 */
  readonly memorySize?: number;

  /**
   * Hard limit per request; the handler stops generating 2 seconds before it.
   * @default Duration.minutes(5) (agents and tools ask for long answers)
   */
  readonly timeout?: Duration;

  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;

  /**
   * The KMS key encrypting the function's log group.
   * @default - a new key with rotation, its policy naming that log group only
   */
  readonly logEncryptionKey?: kms.IKey;

  /**
   * What happens to the stateful resources this construct creates (key table, log group, keys, rate-limit table).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * CORS, for browser-based OpenAI clients.
   * @default - none
   */
  readonly cors?: ChatCorsOptions;

  /**
   * A guardrail every model call names; an intervention ends the completion with `finish_reason: content_filter`.
   * @default - none
   */
  readonly guardrail?: IChatGuardrail;

  /** @default GuardrailStreamProcessingMode.SYNC */
  readonly guardrailStreamProcessingMode?: GuardrailStreamProcessingMode;

  /**
   * Condition every model-invoke statement on the guardrail (`bedrock:GuardrailIdentifier`).
   * @default false
   */
  readonly enforceGuardrail?: boolean;
}

/**
 * An OpenAI-compatible Chat Completions API on Amazon Bedrock: a streaming Function URL serving
 * `POST /v1/chat/completions`, `GET /v1/models` and `GET /v1/models/{model}` (point an OpenAI client's `baseURL` at
 * `baseUrl`), mapped onto `ConverseStream`; API keys kept as SHA-256 hashes in an `ApiKeyTable`; per-key rate
 * limits and daily token and cost budgets.
 */
export class ChatCompletionsApi extends Construct {
  /** The chat function behind the API. */
  public readonly chatFunction: BedrockChatFunction;
  /** The API keys, with API key auth. */
  public readonly apiKeyTable?: IApiKeyTable;
  /** What an OpenAI client's `baseURL` is set to: the Function URL followed by `v1`. */
  public readonly baseUrl: string;

  constructor(scope: Construct, id: string, props: ChatCompletionsApiProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (!props.auth) {
      this.apiKeyTable =
        props.apiKeyTable ?? new ApiKeyTable(this, 'ApiKeys', { removalPolicy, deletionProtection: props.deletionProtection ?? false });
    }
    this.chatFunction = new BedrockChatFunction(this, 'Function', {
      backend: ChatBackend.openAiCompatible(props.models, { maxTokens: props.maxTokens, systemPrompt: props.systemPrompt, prices: props.prices }),
      auth: props.auth ?? ChatAuth.apiKeys(this.apiKeyTable as IApiKeyTable),
      access: props.access,
      rateLimit: props.rateLimit,
      budgets: props.budgets,
      functionName: props.functionName,
      description: 'OpenAI-compatible chat completions on Amazon Bedrock',
      reservedConcurrency: props.reservedConcurrency,
      memorySize: props.memorySize,
      timeout: props.timeout ?? Duration.minutes(5),
      logRetention: props.logRetention,
      logEncryptionKey: props.logEncryptionKey,
      removalPolicy,
      cors: props.cors,
      guardrail: props.guardrail,
      guardrailStreamProcessingMode: props.guardrailStreamProcessingMode,
      enforceGuardrail: props.enforceGuardrail,
    });
    this.baseUrl = `${this.chatFunction.url}v1`;
  }
}
