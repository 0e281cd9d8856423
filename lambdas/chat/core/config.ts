/**
 * Reading a chat function's environment: the only channel from the construct that deploys it. Each mode's
 * loader (modes/<mode>/config.ts) composes the readers of the building blocks it uses (auth/config.ts,
 * limits/config.ts, bedrock/model-config.ts, chats/config.ts, …), each reading the variables of its block by
 * their contract names (contract/env.ts) and checking them against the contract's limits and patterns.
 *
 * Every bad variable is reported at once, with its value, and fails the cold start: a misconfigured
 * deployment shows up in the first invocation's INIT error instead of as odd answers.
 */
import { ENV } from '../../../contract/env';
import { REGION, TABLE_NAME } from '../../../contract/patterns';

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

/**
 * Runs a mode's readers against `env` and returns what `build` makes of their results, or throws one
 * {@link ConfigError} naming every bad variable. `build` runs only when no reader reported a problem.
 */
export function loadConfig<T>(env: Env, build: (bad: ReportProblem) => T | undefined): T {
  const { problems, bad } = problemCollector(env);
  const config = build(bad);
  if (problems.length > 0 || config === undefined) throw invalidConfiguration(problems);
  return config;
}

/** The error a loader throws: every bad variable with its value, at once. */
export function invalidConfiguration(problems: readonly string[]): ConfigError {
  return new ConfigError(`Invalid chat function configuration: ${problems.join('; ')}`);
}

/** `AWS_REGION`, set by Lambda: the region of the function and, unless configured otherwise, of its upstreams. */
export function readRegion(env: Env, bad: ReportProblem): string | undefined {
  return readRegionVariable(ENV.region, env, bad, true);
}

/** A region variable: an AWS region name, required or unset. */
export function readRegionVariable(name: string, env: Env, bad: ReportProblem, required: boolean): string | undefined {
  const region = env[name];
  if (region === undefined && !required) return undefined;
  if (region === undefined || !REGION.test(region)) {
    return bad(name, `an AWS region such as eu-west-1${required ? '' : ', or the variable unset'}`);
  }
  return region;
}

/** A DynamoDB table name variable (required). */
export function readTableName(name: string, env: Env, bad: ReportProblem): string | undefined {
  const tableName = env[name];
  return tableName !== undefined && TABLE_NAME.test(tableName) ? tableName : bad(name, 'a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)');
}

const POSITIVE_INTEGER = /^[1-9]\d*$/;

/** `name` as a whole number from 1 (digits only, no leading zero), up to `max` when given. */
export function positiveInteger(name: string, env: Env, bad: ReportProblem, max?: number): number | undefined {
  const raw = env[name];
  const value = raw !== undefined && POSITIVE_INTEGER.test(raw) ? Number(raw) : NaN;
  if (max !== undefined) return value <= max ? value : bad(name, `an integer from 1 to ${max}`);
  return Number.isSafeInteger(value) ? value : bad(name, 'an integer >= 1');
}

/** `name` as a whole number from `min` to `max` (digits only). */
export function integerIn(name: string, env: Env, min: number, max: number, bad: ReportProblem): number | undefined {
  const raw = env[name];
  const value = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : NaN;
  return Number.isSafeInteger(value) && value >= min && value <= max ? value : bad(name, `an integer from ${min} to ${max}`);
}

/** The items of a comma-separated list, trimmed, empty ones left out. */
export function commaList(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function show(value: string | undefined): string {
  if (value === undefined) return '(unset)';
  return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
}
