/**
 * The environment contract of the JWT modes (`entry/stored-model-chat.ts`, `entry/stored-agent-chat.ts`), read and checked
 * once at init. It extends the IAM mode's contract (config.ts: `CHAT_MAX_TOKENS`, `CHAT_SYSTEM_PROMPT`,
 * `AWS_REGION`, `RATE_LIMIT_*`, and `CHAT_MODELS` for the model bundle) with the token rules (`JWT_*`),
 * the history table (`HISTORY_*`) and, for the agent bundle, the agent (`AGENT_ID`, `AGENT_ALIAS_ID`).
 *
 * Every bad variable is reported at once, with its value, and fails the cold start.
 */
import {
  invalidConfiguration,
  isTableName,
  problemCollector,
  problemTracker,
  readModels,
  readSharedSettings,
  type ChatConfig,
  type Env,
  type ReportProblem,
  type SharedChatSettings,
} from '../../core/config';

/** What a bearer token must satisfy. */
export interface JwtAuthConfig {
  /** Exact `iss`. */
  readonly issuer: string;
  /** `aud` must contain it (or, for Cognito access tokens, `client_id` must equal it). */
  readonly audience: string;
  readonly jwksUri: URL;
  /** Accepted `alg` values; asymmetric only. */
  readonly algorithms: readonly string[];
  /** Claims every token must carry besides `sub` and `exp` (always required). */
  readonly requiredClaims: readonly string[];
  /** Tolerance on `exp` and `nbf`. */
  readonly clockSkewSeconds: number;
  /** Set for Cognito user pools: which `token_use` is accepted. */
  readonly cognitoTokenUse?: CognitoTokenUse;
}

export type CognitoTokenUse = 'id' | 'access' | 'any';

export interface HistoryConfig {
  readonly tableName: string;
  /** How many latest stored turns go back to the model with a new prompt (0..{@link MAX_HISTORY_TURNS_SETTING}). */
  readonly turns: number;
}

export interface AgentConfig {
  readonly agentId: string;
  readonly agentAliasId: string;
}

export interface JwtModelChatConfig extends ChatConfig {
  readonly auth: JwtAuthConfig;
  readonly history: HistoryConfig;
}

export interface JwtAgentChatConfig extends SharedChatSettings {
  readonly auth: JwtAuthConfig;
  readonly history: HistoryConfig;
  readonly agent: AgentConfig;
}

/** The asymmetric JWS algorithms a deployment may allow (`none` and HMAC never). */
export const ASYMMETRIC_ALGORITHMS: readonly string[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
export const MAX_HISTORY_TURNS_SETTING = 50;
export const MAX_CLOCK_SKEW_SECONDS = 300;

const CLAIM_NAME = /^[A-Za-z0-9_:.-]{1,64}$/;
/** Bedrock Agents ids: `[0-9a-zA-Z]`, at most 10 characters (`TSTALIASID` is the draft alias). */
const AGENT_RESOURCE_ID = /^[0-9a-zA-Z]{1,10}$/;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function loadJwtModelConfig(env: Env): JwtModelChatConfig {
  const { problems, bad } = problemCollector(env);
  const models = readModels(env, bad);
  const shared = readSharedSettings(env, bad);
  const auth = readJwtAuthConfig(env, bad);
  const history = readHistoryConfig(env, bad);
  if (problems.length > 0 || !models || !shared || !auth || !history) throw invalidConfiguration(problems);
  return { ...models, ...shared, auth, history };
}

export function loadJwtAgentConfig(env: Env): JwtAgentChatConfig {
  const { problems, bad } = problemCollector(env);
  const shared = readSharedSettings(env, bad);
  const auth = readJwtAuthConfig(env, bad);
  const history = readHistoryConfig(env, bad);
  const agentId = env.AGENT_ID;
  if (agentId === undefined || !AGENT_RESOURCE_ID.test(agentId)) bad('AGENT_ID', 'a Bedrock agent id (1-10 of A-Z a-z 0-9)');
  const agentAliasId = env.AGENT_ALIAS_ID;
  if (agentAliasId === undefined || !AGENT_RESOURCE_ID.test(agentAliasId)) bad('AGENT_ALIAS_ID', 'a Bedrock agent alias id (1-10 of A-Z a-z 0-9)');
  if (problems.length > 0 || !shared || !auth || !history || !agentId || !agentAliasId) throw invalidConfiguration(problems);
  return { ...shared, auth, history, agent: { agentId, agentAliasId } };
}

export function readJwtAuthConfig(env: Env, report: ReportProblem): JwtAuthConfig | undefined {
  const tracker = problemTracker(report);
  const { bad } = tracker;
  const issuer = env.JWT_ISSUER;
  if (!isSecureUrl(issuer)) bad('JWT_ISSUER', 'the issuer URL (https; http only on 127.0.0.1 or localhost)');
  const audience = env.JWT_AUDIENCE;
  if (audience === undefined || audience.trim() === '' || audience.length > 512) bad('JWT_AUDIENCE', 'the audience or app client id (1-512 characters)');
  const jwksUri = env.JWT_JWKS_URI;
  if (!isSecureUrl(jwksUri)) bad('JWT_JWKS_URI', 'the JWKS URL (https; http only on 127.0.0.1 or localhost)');

  const algorithms = list(env.JWT_ALGORITHMS);
  const notAsymmetric = algorithms.filter((alg) => !ASYMMETRIC_ALGORITHMS.includes(alg));
  if (algorithms.length === 0 || notAsymmetric.length > 0) {
    bad('JWT_ALGORITHMS', `a comma-separated list of asymmetric algorithms (${ASYMMETRIC_ALGORITHMS.join(', ')}); never none or HMAC`);
  }
  const requiredClaims = list(env.JWT_REQUIRED_CLAIMS);
  if (env.JWT_REQUIRED_CLAIMS === undefined || requiredClaims.some((claim) => !CLAIM_NAME.test(claim))) {
    bad('JWT_REQUIRED_CLAIMS', 'a comma-separated list of claim names (may be empty)');
  }
  const clockSkewSeconds = integerIn('JWT_CLOCK_SKEW_SECONDS', env, 0, MAX_CLOCK_SKEW_SECONDS, bad);
  const tokenUse = env.JWT_COGNITO_TOKEN_USE;
  if (tokenUse !== undefined && tokenUse !== 'id' && tokenUse !== 'access' && tokenUse !== 'any') {
    bad('JWT_COGNITO_TOKEN_USE', '"id", "access" or "any", or the variable unset for issuers other than Cognito');
  }

  if (!tracker.valid || !issuer || !audience || !jwksUri || clockSkewSeconds === undefined) return undefined;
  return {
    issuer,
    audience,
    jwksUri: new URL(jwksUri),
    algorithms,
    requiredClaims,
    clockSkewSeconds,
    ...(tokenUse !== undefined ? { cognitoTokenUse: tokenUse as CognitoTokenUse } : {}),
  };
}

export function readHistoryConfig(env: Env, bad: ReportProblem): HistoryConfig | undefined {
  const tableName = env.HISTORY_TABLE_NAME;
  if (!isTableName(tableName)) bad('HISTORY_TABLE_NAME', 'a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)');
  const turns = integerIn('HISTORY_TURNS', env, 0, MAX_HISTORY_TURNS_SETTING, bad);
  if (!isTableName(tableName) || turns === undefined) return undefined;
  return { tableName, turns };
}

/** An https URL, or an http URL on the loopback interface (a local JWKS in tests and `npm run local`). */
function isSecureUrl(value: string | undefined): value is string {
  if (value === undefined) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
}

function list(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function integerIn(name: string, env: Env, min: number, max: number, bad: ReportProblem): number | undefined {
  const raw = env[name];
  const value = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : NaN;
  return Number.isSafeInteger(value) && value >= min && value <= max ? value : bad(name, `an integer from ${min} to ${max}`);
}
