/**
 * The rate limit's settings, read once at init: `RATE_LIMIT_TABLE_NAME`, `RATE_LIMIT_PER_MINUTE`,
 * `RATE_LIMIT_FAIL_OPEN`, `RATE_LIMIT_PER_ADDRESS_PER_MINUTE` (public URLs) and `RATE_LIMIT_NAMESPACE` (the prefix of every counter key: functions sharing one
 * table count a caller separately unless they are given the same namespace, a quota shared on purpose).
 */
import { ENV } from '../../../contract/env';
import { LIMITS } from '../../../contract/limits';
import { RATE_LIMIT_NAMESPACE } from '../../../contract/patterns';
import { type Env, positiveInteger, problemTracker, type ReportProblem, readTableName } from '../core/config';

export interface RateLimitConfig {
  readonly tableName: string;
  readonly requestsPerMinute: number;
  readonly failOpen: boolean;
  /** Prefixes every counter key (`<namespace>#<caller>#<window>`). */
  readonly namespace: string;
  /**
   * Requests per minute per source address, counted before authentication (a public URL: an unauthenticated
   * flood is counted); undefined: no per-address count.
   */
  readonly requestsPerAddressPerMinute?: number;
}

/** The rate-limit settings; undefined when one is bad (and reported). */
export function readRateLimitConfig(env: Env, report: ReportProblem): RateLimitConfig | undefined {
  const tracker = problemTracker(report);
  const { bad } = tracker;
  const tableName = readTableName(ENV.rateLimitTable, env, bad);
  const requestsPerMinute = positiveInteger(ENV.rateLimitPerMinute, env, bad, LIMITS.maxRequestsPerMinute);
  const failOpen = env[ENV.rateLimitFailOpen];
  if (failOpen !== 'true' && failOpen !== 'false') bad(ENV.rateLimitFailOpen, '"true" or "false"');
  const namespace = env[ENV.rateLimitNamespace];
  if (namespace === undefined || !RATE_LIMIT_NAMESPACE.test(namespace)) {
    bad(
      ENV.rateLimitNamespace,
      "the prefix of this function's counter keys (1-64 of A-Z a-z 0-9 _ . -; functions given the same one share each caller's count)",
    );
  }
  const perAddress =
    env[ENV.rateLimitPerAddress] === undefined ? undefined : positiveInteger(ENV.rateLimitPerAddress, env, bad, LIMITS.maxRequestsPerMinute);
  if (!tracker.valid || tableName === undefined || requestsPerMinute === undefined || namespace === undefined) return undefined;
  return {
    tableName,
    requestsPerMinute,
    failOpen: failOpen === 'true',
    namespace,
    ...(perAddress !== undefined ? { requestsPerAddressPerMinute: perAddress } : {}),
  };
}
