/**
 * The model settings of a mode that answers with a model, read once at init: `CHAT_MODELS` (alias → model id,
 * in declaration order; the first alias is the default), `CHAT_MAX_TOKENS`, `CHAT_SYSTEM_PROMPT` and
 * `CHAT_MODEL_PRICES` (for the estimated cost).
 */
import { DEFAULTS, ENV, GUARDRAIL_STREAM_MODES, type GuardrailStreamModeValue } from '../../../contract/env';
import { LIMITS } from '../../../contract/limits';
import { GUARDRAIL_IDENTIFIER, GUARDRAIL_VERSION, MODEL_ALIAS, MODEL_ALIAS_RULE, MODEL_INVOCATION_ID } from '../../../contract/patterns';
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
  /** Alias → prices, for the aliases that have them (`CHAT_MODEL_PRICES`). */
  readonly prices: ReadonlyMap<string, ModelPrice>;
  /** The guardrail every model call names (`CHAT_GUARDRAIL_*`); undefined without one. */
  readonly guardrail: GuardrailSettings | undefined;
}

/** What goes into `guardrailConfig` of every Converse / ConverseStream call. */
export interface GuardrailSettings {
  readonly identifier: string;
  readonly version: string;
  readonly streamProcessingMode: GuardrailStreamModeValue;
}

/** US dollars per million tokens. */
export interface ModelPrice {
  readonly input: number;
  readonly output: number;
  /** Default: the input price. */
  readonly cacheRead?: number;
  /** Default: the input price. */
  readonly cacheWrite?: number;
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
  const prices = models ? parsePrices(env[ENV.modelPrices], models, bad) : undefined;
  const guardrail = readGuardrail(env, bad);
  if (!tracker.valid || !models || maxTokens === undefined || !prices) return undefined;
  return { models, defaultModel: models.keys().next().value as string, maxTokens, customSystemPrompt, prices, guardrail };
}

/** `CHAT_GUARDRAIL_ID`, `CHAT_GUARDRAIL_VERSION` (required with it), `CHAT_GUARDRAIL_STREAM_MODE` (default sync). */
function readGuardrail(env: Env, bad: ReportProblem): GuardrailSettings | undefined {
  const identifier = env[ENV.guardrailId];
  const version = env[ENV.guardrailVersion];
  const mode = env[ENV.guardrailStreamMode] ?? 'sync';
  if (identifier === undefined) {
    if (version !== undefined) bad(ENV.guardrailVersion, `to be unset without ${ENV.guardrailId}`);
    if (env[ENV.guardrailStreamMode] !== undefined) bad(ENV.guardrailStreamMode, `to be unset without ${ENV.guardrailId}`);
    return undefined;
  }
  if (!GUARDRAIL_IDENTIFIER.test(identifier)) bad(ENV.guardrailId, 'a guardrail id or ARN');
  if (version === undefined || !GUARDRAIL_VERSION.test(version)) bad(ENV.guardrailVersion, 'a guardrail version (a number from 1, or DRAFT)');
  if (!(GUARDRAIL_STREAM_MODES as readonly string[]).includes(mode)) bad(ENV.guardrailStreamMode, GUARDRAIL_STREAM_MODES.join(' or '));
  return { identifier, version: version ?? '', streamProcessingMode: mode as GuardrailStreamModeValue };
}

const PRICE_KEYS = ['input', 'output', 'cacheRead', 'cacheWrite'] as const;

function parsePrices(raw: string | undefined, models: ReadonlyMap<string, string>, bad: ReportProblem): Map<string, ModelPrice> | undefined {
  const prices = new Map<string, ModelPrice>();
  if (raw === undefined) return prices;
  const expected =
    'a JSON object of model aliases → { "input": n, "output": n, "cacheRead"?: n, "cacheWrite"?: n } (US dollars per million tokens, >= 0)';
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return bad(ENV.modelPrices, expected);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return bad(ENV.modelPrices, expected);
  for (const [alias, value] of Object.entries(parsed)) {
    if (!models.has(alias)) return bad(ENV.modelPrices, `prices for aliases of ${ENV.models} only (got "${alias}")`);
    const price = value as Record<string, unknown>;
    const valid =
      typeof value === 'object' &&
      value !== null &&
      Object.keys(price).every((key) => (PRICE_KEYS as readonly string[]).includes(key)) &&
      PRICE_KEYS.every((key) => (key === 'input' || key === 'output' ? isPrice(price[key]) : price[key] === undefined || isPrice(price[key])));
    if (!valid) return bad(ENV.modelPrices, expected);
    prices.set(alias, value as ModelPrice);
  }
  return prices;
}

function isPrice(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
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
