/**
 * The model settings of a mode that answers with a model, read once at init: `CHAT_MODELS` (alias → model id,
 * in declaration order; the first alias is the default), `CHAT_MAX_TOKENS` and `CHAT_SYSTEM_PROMPT`.
 */
import { DEFAULTS, ENV } from '../../../contract/env';
import { LIMITS } from '../../../contract/limits';
import { MODEL_ALIAS, MODEL_ALIAS_RULE, MODEL_INVOCATION_ID } from '../../../contract/patterns';
import { type Env, positiveInteger, problemTracker, type ReportProblem } from '../core/config';
import type { ModelTarget } from './errors';

export interface ModelSettings {
  /** Alias → Bedrock model id (foundation model id, inference profile id or ARN), in declaration order. */
  readonly models: ReadonlyMap<string, string>;
  /** The first alias of `CHAT_MODELS`. */
  readonly defaultModel: string;
  readonly maxTokens: number;
  /** `CHAT_SYSTEM_PROMPT`; undefined when unset (the mode then uses its built-in prompt). */
  readonly customSystemPrompt: string | undefined;
}

/** The model settings; undefined when one is bad (and reported). */
export function readModelSettings(env: Env, report: ReportProblem): ModelSettings | undefined {
  const tracker = problemTracker(report);
  const { bad } = tracker;
  const models = parseModels(env[ENV.models], bad);
  const maxTokens = env[ENV.maxTokens] === undefined ? DEFAULTS.maxTokens : positiveInteger(ENV.maxTokens, env, bad, LIMITS.maxTokens);
  const customSystemPrompt = env[ENV.systemPrompt];
  if (customSystemPrompt !== undefined && (customSystemPrompt.trim() === '' || customSystemPrompt.length > LIMITS.maxSystemPromptChars)) {
    bad(ENV.systemPrompt, `a non-blank prompt of at most ${LIMITS.maxSystemPromptChars} characters, or the variable unset for the built-in prompt`);
  }
  if (!tracker.valid || !models || maxTokens === undefined) return undefined;
  return { models, defaultModel: models.keys().next().value as string, maxTokens, customSystemPrompt };
}

/** The model an alias names, in `region`. The alias must be one of `settings.models`. */
export function modelTarget(settings: Pick<ModelSettings, 'models'>, alias: string, region: string): ModelTarget {
  const modelId = settings.models.get(alias);
  if (modelId === undefined) throw new Error(`No model has the alias "${alias}"`);
  return { alias, modelId, region };
}

function parseModels(raw: string | undefined, bad: ReportProblem): Map<string, string> | undefined {
  const expected = `a JSON object of 1 to ${LIMITS.maxModels} aliases → Bedrock model id, e.g. {"haiku":"global.anthropic.claude-haiku-4-5-20251001-v1:0"}`;
  if (raw === undefined) return bad(ENV.models, expected);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return bad(ENV.models, expected);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return bad(ENV.models, expected);
  const entries = Object.entries(parsed);
  if (entries.length === 0 || entries.length > LIMITS.maxModels) return bad(ENV.models, expected);
  const models = new Map<string, string>();
  for (const [alias, modelId] of entries) {
    if (!MODEL_ALIAS.test(alias)) return bad(ENV.models, `aliases of ${MODEL_ALIAS_RULE} (got "${alias}")`);
    if (typeof modelId !== 'string' || !MODEL_INVOCATION_ID.test(modelId)) {
      return bad(ENV.models, `a model id, inference profile id or ARN for alias "${alias}"`);
    }
    models.set(alias, modelId);
  }
  return models;
}
