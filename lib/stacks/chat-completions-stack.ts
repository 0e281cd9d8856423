import { CfnOutput, RemovalPolicy, Stack, StackProps, Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ChatAuth } from '../constructs/chat-auth';
import { ChatCompletionsApi } from '../constructs/chat-completions-api';
import { ChatMonitoring } from '../constructs/chat-monitoring';
import { ChatStackSettings, modelsFromIds, sharedChatResources, stageMonitoring } from '../private/chat-stack-settings';

export interface ChatCompletionsStackProps extends StackProps, ChatStackSettings {
  /** The cap on `max_tokens` / `max_completion_tokens`. */
  readonly maxTokens: number;
  /** Tokens per caller and UTC day; absent: no token budget (a key's own still applies). */
  readonly tokensPerDay?: number;
  /** Estimated US dollars per caller and UTC day (needs `modelPrices` for every model). */
  readonly costPerDayUsd?: number;
  /** Bearer tokens of this OIDC issuer instead of API keys. */
  readonly jwt?: { readonly issuer: string; readonly audience: string; readonly requiredClaims?: string[] };
}

/**
 * The OpenAI-compatible chat completions API of one stage: a streaming Function URL serving `/v1/chat/completions`
 * and `/v1/models` over the stage's models, API keys in an `ApiKeyTable` (deletion protection where the stage retains
 * its data), per-caller rate limits and daily budgets in the stack's rate-limit table.
 */
export class ChatCompletionsStack extends Stack {
  public readonly api: ChatCompletionsApi;
  /** The dashboard and alarms, when the stage configures `monitoring`. */
  public readonly monitoring?: ChatMonitoring;

  constructor(scope: Construct, id: string, props: ChatCompletionsStackProps) {
    super(scope, id, props);

    const { limits, functionProps } = sharedChatResources(this, props);
    const jwt = props.jwt;
    this.api = new ChatCompletionsApi(this, 'Completions', {
      models: modelsFromIds(props.models),
      maxTokens: props.maxTokens,
      prices: props.modelPrices,
      auth: jwt ? ChatAuth.jwt({ issuer: jwt.issuer, audience: jwt.audience, requiredClaims: jwt.requiredClaims }) : undefined,
      deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
      rateLimit: functionProps.rateLimit,
      budgets:
        props.tokensPerDay !== undefined || props.costPerDayUsd !== undefined
          ? { tokensPerDay: props.tokensPerDay, costPerDayUsd: props.costPerDayUsd, failOpen: props.rateLimitFailOpen ?? false }
          : undefined,
      reservedConcurrency: functionProps.reservedConcurrency,
      logRetention: functionProps.logRetention,
      logEncryptionKey: functionProps.logEncryptionKey,
      removalPolicy: props.removalPolicy,
      cors: functionProps.cors,
    });

    Validations.of(this.api.chatFunction.node.findChild('Resource')).acknowledge({
      id: 'BedrockChat::BedrockChat-PublicEndpointGuardrail',
      reason:
        "Callers present an API key issued to them (npm run keys) or a verified token: the handler refuses unknown, disabled and expired keys before any model call, and each key has its own rate limit and daily token and cost budget. A stage that hands keys to the public adds ChatCompletionsApi's guardrail prop.",
    });

    this.monitoring = stageMonitoring(this, props, [this.api.chatFunction], { answerWithModels: true });

    new CfnOutput(this, 'BaseUrl', { value: this.api.baseUrl, description: "An OpenAI client's baseURL" });
    if (this.api.apiKeyTable) {
      new CfnOutput(this, 'ApiKeyTableName', {
        value: this.api.apiKeyTable.tableName,
        description: 'npm run keys -- create --table <this> --name <label>',
      });
    }
    new CfnOutput(this, 'RateLimitTableName', { value: limits.tableName });
  }
}
