/**
 * The environment of the completions mode (the OpenAI-compatible API; bundle `completions`), read and checked once
 * at init: the models (`CHAT_MODELS`: the aliases callers name, and their Bedrock ids), `CHAT_MAX_TOKENS` (the cap on
 * `max_tokens`), an optional `CHAT_SYSTEM_PROMPT` sent before the caller's own system messages, `AWS_REGION`, the rate
 * limit, the budgets and how callers authenticate (`api_key` by default, any method).
 */
import { type AccessConfig, readAccessConfig } from '../../access/config';
import { type AuthConfig, readAuthConfig } from '../../auth/config';
import { type ModelSettings, readModelSettings } from '../../bedrock/model-config';
import { type BudgetConfig, readBudgetConfig } from '../../budgets/config';
import { type Env, loadConfig, readRegion } from '../../core/config';
import { type RateLimitConfig, readRateLimitConfig } from '../../limits/config';

export interface CompletionsConfig {
  readonly models: ModelSettings['models'];
  readonly maxTokens: number;
  /** Alias → prices (`CHAT_MODEL_PRICES`), for the estimated cost and the cost budget. */
  readonly prices: ModelSettings['prices'];
  /** The guardrail every model call names (`CHAT_GUARDRAIL_*`); undefined without one. */
  readonly guardrail: ModelSettings['guardrail'];
  /** Sent first in Converse's `system` field when set; callers add their own system messages after it. */
  readonly systemPrompt: string | undefined;
  readonly region: string;
  readonly rateLimit: RateLimitConfig;
  readonly auth: AuthConfig;
  readonly budgets: BudgetConfig;
  /** Whose credentials call Bedrock (`BEDROCK_ACCESS`). */
  readonly access: AccessConfig;
}

export function loadCompletionsConfig(env: Env): CompletionsConfig {
  return loadConfig(env, (bad) => {
    const model = readModelSettings(env, bad);
    const region = readRegion(env, bad);
    const rateLimit = readRateLimitConfig(env, bad);
    const auth = readAuthConfig(env, bad);
    const budgets = readBudgetConfig(env, bad);
    const access = readAccessConfig(env, bad);
    if (!model || !region || !rateLimit || !auth || !budgets || !access) return undefined;
    return {
      models: model.models,
      maxTokens: model.maxTokens,
      prices: model.prices,
      guardrail: model.guardrail,
      systemPrompt: model.customSystemPrompt,
      region,
      rateLimit,
      auth,
      budgets,
      access,
    };
  });
}
