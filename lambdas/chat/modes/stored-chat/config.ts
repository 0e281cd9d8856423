/**
 * The environment of the stored-chat mode (chats kept per user in the history table; bundles
 * `stored-model-chat` and `stored-agent-chat`), read and checked once at init: `AWS_REGION`, the rate limit
 * (`RATE_LIMIT_*`), how callers authenticate (`CHAT_AUTH_MODE`: a method that identifies the user, since
 * every chat belongs to one; `jwt` and its `JWT_*` rules), the history table (`HISTORY_*`), and what answers:
 * the model settings (`CHAT_MODELS`, `CHAT_MAX_TOKENS`, `CHAT_SYSTEM_PROMPT`) or the agent alias (`AGENT_*`).
 *
 * Every bad variable is reported at once, with its value, and fails the cold start.
 */
import { type AccessConfig, readAccessConfig } from '../../access/config';
import { type AuthConfig, readAuthConfig } from '../../auth/config';
import { type AgentConfig, readAgentConfig } from '../../bedrock/agent-config';
import { type ModelSettings, readModelSettings } from '../../bedrock/model-config';
import { type BudgetConfig, readBudgetConfig } from '../../budgets/config';
import { type HistoryConfig, readHistoryConfig } from '../../chats/config';
import { type Env, loadConfig, type ReportProblem, readRegion } from '../../core/config';
import { type RateLimitConfig, readRateLimitConfig } from '../../limits/config';
import { DEFAULT_SYSTEM_PROMPT } from '../../prompt/system-prompt';

/** What both stored-chat bundles read. */
export interface StoredChatConfig {
  readonly region: string;
  readonly rateLimit: RateLimitConfig;
  /** A method that identifies the user (`jwt`). */
  readonly auth: AuthConfig;
  readonly history: HistoryConfig;
  readonly access: AccessConfig;
  /** Daily token and cost budgets per user (`BUDGET_*`). */
  readonly budgets: BudgetConfig;
}

export interface StoredModelChatConfig extends StoredChatConfig, Omit<ModelSettings, 'customSystemPrompt'> {
  readonly systemPrompt: string;
}

export interface StoredAgentChatConfig extends StoredChatConfig {
  readonly agent: AgentConfig;
}

export function loadStoredModelChatConfig(env: Env): StoredModelChatConfig {
  return loadConfig(env, (bad) => {
    const model = readModelSettings(env, bad);
    const stored = readStoredChatConfig(env, bad);
    if (!model || !stored) return undefined;
    const { customSystemPrompt, ...settings } = model;
    return { ...settings, systemPrompt: customSystemPrompt ?? DEFAULT_SYSTEM_PROMPT, ...stored };
  });
}

export function loadStoredAgentChatConfig(env: Env): StoredAgentChatConfig {
  return loadConfig(env, (bad) => {
    const stored = readStoredChatConfig(env, bad);
    const agent = readAgentConfig(env, bad);
    if (!stored || !agent) return undefined;
    return { ...stored, agent };
  });
}

function readStoredChatConfig(env: Env, bad: ReportProblem): StoredChatConfig | undefined {
  const region = readRegion(env, bad);
  const rateLimit = readRateLimitConfig(env, bad);
  const auth = readAuthConfig(env, bad, { identifiesUsers: true, reason: 'stored chats belong to a verified user' });
  const history = readHistoryConfig(env, bad);
  const access = readAccessConfig(env, bad);
  const budgets = readBudgetConfig(env, bad);
  if (region === undefined || !rateLimit || !auth || !history || !access || !budgets) return undefined;
  return { region, rateLimit, auth, history, access, budgets };
}
