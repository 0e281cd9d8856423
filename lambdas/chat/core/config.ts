/**
 * The environment contract between the deploying construct and this runtime, read and checked once at init.
 *
 * A bad value fails the cold start with a message naming every bad variable and its value, so a
 * misconfigured deployment shows up in the first invocation's INIT error instead of as odd answers.
 */
import { DEFAULT_SYSTEM_PROMPT } from '../prompt/system-prompt';

export interface ChatConfig {
  /** Alias → Bedrock model id (foundation model id, inference profile id or ARN), in declaration order. */
  readonly models: ReadonlyMap<string, string>;
  /** The first alias of `CHAT_MODELS`. */
  readonly defaultModel: string;
  readonly maxTokens: number;
  readonly systemPrompt: string;
  readonly region: string;
  readonly rateLimit: RateLimitConfig;
}

export interface RateLimitConfig {
  readonly tableName: string;
  readonly requestsPerMinute: number;
  readonly failOpen: boolean;
}

export const DEFAULT_MAX_TOKENS = 1024;

/**
 * Aliases start with a letter: JSON.parse puts integer-like keys ("1", "42") before all others,
 * which would silently change which alias is the default.
 */
const ALIAS = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;
/** Characters of model ids, inference profile ids and their ARNs (`global.anthropic.claude-…-v1:0`, `arn:aws:bedrock:…/…`). */
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,2047}$/;
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const POSITIVE_INTEGER = /^[1-9]\d*$/;

export class ConfigError extends Error {
  public readonly name = 'ConfigError';
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Records a bad variable as `NAME=value: expected …` and returns undefined. */
export type ReportProblem = (name: string, expected: string) => undefined;

/** A problem list and the reporter that fills it, for loaders that check several variables at once. */
export function problemCollector(env: Env): { problems: string[]; bad: ReportProblem } {
  const problems: string[] = [];
  const bad: ReportProblem = (name, expected) => {
    problems.push(`${name}=${show(env[name])}: expected ${expected}`);
    return undefined;
  };
  return { problems, bad };
}

/**
 * A reporter for a reader of several variables: passes each problem on to `report` and remembers that
 * there was one, so the reader can return undefined after checking (and reporting) all its variables.
 */
export function problemTracker(report: ReportProblem): { bad: ReportProblem; readonly valid: boolean } {
  let valid = true;
  return {
    bad: (name, expected) => {
      valid = false;
      return report(name, expected);
    },
    get valid() {
      return valid;
    },
  };
}

/** The settings every chat mode shares (all of {@link ChatConfig} but the models). */
export type SharedChatSettings = Omit<ChatConfig, 'models' | 'defaultModel'>;

/** The model settings of a mode that answers with a model. */
export type ModelSettings = Pick<ChatConfig, 'models' | 'defaultModel'>;

export function loadConfig(env: Env): ChatConfig {
  const { problems, bad } = problemCollector(env);
  const models = readModels(env, bad);
  const shared = readSharedSettings(env, bad);
  if (problems.length > 0 || !models || !shared) throw invalidConfiguration(problems);
  return { ...models, ...shared };
}

/** The error a loader throws: every bad variable with its value, at once. */
export function invalidConfiguration(problems: readonly string[]): ConfigError {
  return new ConfigError(`Invalid chat function configuration: ${problems.join('; ')}`);
}

/** `CHAT_MODELS`: alias → model id, in declaration order; the first alias is the default. */
export function readModels(env: Env, bad: ReportProblem): ModelSettings | undefined {
  const models = parseModels(env.CHAT_MODELS, bad);
  return models && { models, defaultModel: models.keys().next().value as string };
}

/** `CHAT_MAX_TOKENS`, `CHAT_SYSTEM_PROMPT`, `AWS_REGION` and `RATE_LIMIT_*`; undefined when one is bad (and reported). */
export function readSharedSettings(env: Env, report: ReportProblem): SharedChatSettings | undefined {
  const tracker = problemTracker(report);
  const { bad } = tracker;
  const maxTokens = env.CHAT_MAX_TOKENS === undefined ? DEFAULT_MAX_TOKENS : positiveInteger('CHAT_MAX_TOKENS', env, bad);
  const systemPrompt = env.CHAT_SYSTEM_PROMPT ?? DEFAULT_SYSTEM_PROMPT;
  if (systemPrompt.trim() === '') bad('CHAT_SYSTEM_PROMPT', 'a non-blank prompt, or the variable unset for the built-in prompt');
  const region = env.AWS_REGION;
  if (region === undefined || !REGION.test(region)) bad('AWS_REGION', 'an AWS region such as eu-west-1');
  const tableName = env.RATE_LIMIT_TABLE_NAME;
  if (!isTableName(tableName)) bad('RATE_LIMIT_TABLE_NAME', 'a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)');
  const requestsPerMinute = positiveInteger('RATE_LIMIT_PER_MINUTE', env, bad);
  const failOpenRaw = env.RATE_LIMIT_FAIL_OPEN;
  if (failOpenRaw !== 'true' && failOpenRaw !== 'false') bad('RATE_LIMIT_FAIL_OPEN', '"true" or "false"');

  if (!tracker.valid || !maxTokens || !requestsPerMinute || !region || !tableName) return undefined;
  return { maxTokens, systemPrompt, region, rateLimit: { tableName, requestsPerMinute, failOpen: failOpenRaw === 'true' } };
}

/** A DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -). */
export function isTableName(value: string | undefined): value is string {
  return value !== undefined && TABLE_NAME.test(value);
}

function parseModels(raw: string | undefined, bad: (name: string, expected: string) => undefined): Map<string, string> | undefined {
  const expected = 'a JSON object of at least one alias → Bedrock model id, e.g. {"haiku":"global.anthropic.claude-haiku-4-5-20251001-v1:0"}';
  if (raw === undefined) return bad('CHAT_MODELS', expected);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return bad('CHAT_MODELS', expected);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.keys(parsed).length === 0) {
    return bad('CHAT_MODELS', expected);
  }
  const models = new Map<string, string>();
  for (const [alias, modelId] of Object.entries(parsed)) {
    if (!ALIAS.test(alias)) return bad('CHAT_MODELS', `aliases of 1-64 letters, digits, . _ - starting with a letter (got "${alias}")`);
    if (typeof modelId !== 'string' || !MODEL_ID.test(modelId)) {
      return bad('CHAT_MODELS', `a model id, inference profile id or ARN for alias "${alias}"`);
    }
    models.set(alias, modelId);
  }
  return models;
}

/** `name` as a whole number from 1 (digits only, no leading zero), up to `max` when given. */
export function positiveInteger(name: string, env: Env, bad: ReportProblem, max?: number): number | undefined {
  const raw = env[name];
  const value = raw !== undefined && POSITIVE_INTEGER.test(raw) ? Number(raw) : NaN;
  if (max !== undefined) return value <= max ? value : bad(name, `an integer from 1 to ${max}`);
  return Number.isSafeInteger(value) ? value : bad(name, 'an integer >= 1');
}

function show(value: string | undefined): string {
  if (value === undefined) return '(unset)';
  return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
}
