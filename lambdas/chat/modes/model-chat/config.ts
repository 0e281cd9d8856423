/**
 * The environment of the model-chat mode (caller-sent turns answered by a model; bundle `model-chat`), read
 * and checked once at init: the model settings (`CHAT_MODELS`, `CHAT_MAX_TOKENS`, `CHAT_SYSTEM_PROMPT`),
 * `AWS_REGION`, the rate limit (`RATE_LIMIT_*`) and how callers authenticate (`CHAT_AUTH_MODE`: any method).
 */
import { type AccessConfig, readAccessConfig } from '../../access/config';
import type { AuthConfig } from '../../auth/config';
import { readAuthConfig } from '../../auth/config';
import { type ModelSettings, readModelSettings } from '../../bedrock/model-config';
import { type BudgetConfig, readBudgetConfig } from '../../budgets/config';
import { type Env, loadConfig, readRegion } from '../../core/config';
import type { RateLimitConfig } from '../../limits/config';
import { readRateLimitConfig } from '../../limits/config';
import { DEFAULT_SYSTEM_PROMPT } from '../../prompt/system-prompt';

export interface ModelChatConfig extends Omit<ModelSettings, 'customSystemPrompt'> {
  readonly systemPrompt: string;
  readonly region: string;
  readonly rateLimit: RateLimitConfig;
  readonly auth: AuthConfig;
  readonly access: AccessConfig;
  /** Daily token and cost budgets per caller (`BUDGET_*`). */
  readonly budgets: BudgetConfig;
}

export function loadModelChatConfig(env: Env): ModelChatConfig {
  return loadConfig(env, (bad) => {
    const model = readModelSettings(env, bad);
    const region = readRegion(env, bad);
    const rateLimit = readRateLimitConfig(env, bad);
    const auth = readAuthConfig(env, bad);
    const access = readAccessConfig(env, bad);
    const budgets = readBudgetConfig(env, bad);
    if (!model || !region || !rateLimit || !auth || !access || !budgets) return undefined;
    const { customSystemPrompt, ...settings } = model;
    return { ...settings, systemPrompt: customSystemPrompt ?? DEFAULT_SYSTEM_PROMPT, region, rateLimit, auth, access, budgets };
  });
}
