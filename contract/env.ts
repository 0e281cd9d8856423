/**
 * The environment variables a chat function reads at init: the only channel from the construct that
 * deploys it to the runtime. The construct writes each name from here; the runtime's config loaders read
 * each name from here and check its value against the same limits and patterns (limits.ts, patterns.ts).
 */
export const ENV = {
  /** JSON object alias → Bedrock model id, profile id or ARN, in declaration order; the first is the default. */
  models: 'CHAT_MODELS',
  /** Upper bound on tokens generated per answer. */
  maxTokens: 'CHAT_MAX_TOKENS',
  /** The system prompt; unset: the mode's built-in prompt. */
  systemPrompt: 'CHAT_SYSTEM_PROMPT',
  /**
   * JSON object alias → `{ input, output, cacheRead?, cacheWrite? }` in US dollars per million tokens, for the
   * `EstimatedCost` metric; unset or an alias left out: no cost is estimated for it.
   */
  modelPrices: 'CHAT_MODEL_PRICES',
  /** The guardrail sent with every model call (its id or ARN); unset: no guardrail. */
  guardrailId: 'CHAT_GUARDRAIL_ID',
  /** Its version: a number, or `DRAFT`. Required with {@link ENV.guardrailId}. */
  guardrailVersion: 'CHAT_GUARDRAIL_VERSION',
  /** `sync` (default) or `async`: see {@link GUARDRAIL_STREAM_MODES}. */
  guardrailStreamMode: 'CHAT_GUARDRAIL_STREAM_MODE',
  /** How callers authenticate: one of {@link AUTH_MODES}. */
  authMode: 'CHAT_AUTH_MODE',
  /**
   * Comma-separated ARNs of the IAM roles whose sessions are guests (a Cognito identity pool's guest role): such a
   * caller is keyed by its source address, whatever session name it chose. Unset: no guest roles.
   */
  guestRoleArns: 'CHAT_GUEST_ROLE_ARNS',
  /** Set by Lambda: the function's region. */
  region: 'AWS_REGION',

  rateLimitTable: 'RATE_LIMIT_TABLE_NAME',
  rateLimitPerMinute: 'RATE_LIMIT_PER_MINUTE',
  rateLimitFailOpen: 'RATE_LIMIT_FAIL_OPEN',
  /** Prefix of every counter key: callers of functions with different namespaces never share a count. */
  rateLimitNamespace: 'RATE_LIMIT_NAMESPACE',
  /**
   * Requests per minute per source address (an IPv6 address by its /64), counted before the caller is authenticated
   * (a public URL): an unauthenticated flood is counted too. Unset: no per-address count.
   */
  rateLimitPerAddress: 'RATE_LIMIT_PER_ADDRESS_PER_MINUTE',

  knowledgeBaseId: 'KNOWLEDGE_BASE_ID',
  /** The knowledge base's region when it is not the function's (an imported knowledge base); unset: `AWS_REGION`. */
  knowledgeBaseRegion: 'KNOWLEDGE_BASE_REGION',
  /**
   * The key prefix the knowledge base ingests (`published/`): a source's name is its key under it, never the bucket.
   * Unset: the key without the bucket.
   */
  knowledgeBaseDocumentsPrefix: 'KNOWLEDGE_BASE_DOCUMENTS_PREFIX',
  retrievalResults: 'RETRIEVAL_RESULTS',
  retrievalMinScore: 'RETRIEVAL_MIN_SCORE',
  retrievalFallbackAnswer: 'RETRIEVAL_FALLBACK_ANSWER',

  historyTable: 'HISTORY_TABLE_NAME',
  historyTurns: 'HISTORY_TURNS',
  /** Days a stored chat item is kept after its last write (the table's TTL attribute); unset: until deleted. */
  historyRetentionDays: 'HISTORY_RETENTION_DAYS',

  agentId: 'AGENT_ID',
  agentAliasId: 'AGENT_ALIAS_ID',
  /**
   * `true`: a caller may name the agent and alias in the body (`agentId`, `agentAliasId`; only with the caller's own
   * credentials, whose identity must be allowed `bedrock:InvokeAgent` on it). `AGENT_ID`/`AGENT_ALIAS_ID`, when set,
   * are then the default. Unset or `false`: the configured alias only.
   */
  agentCallerChoice: 'AGENT_CALLER_CHOICE',

  jwtIssuer: 'JWT_ISSUER',
  jwtAudience: 'JWT_AUDIENCE',
  jwtJwksUri: 'JWT_JWKS_URI',
  jwtAlgorithms: 'JWT_ALGORITHMS',
  jwtRequiredClaims: 'JWT_REQUIRED_CLAIMS',
  jwtClockSkewSeconds: 'JWT_CLOCK_SKEW_SECONDS',
  jwtCognitoTokenUse: 'JWT_COGNITO_TOKEN_USE',
  /** Tokens older than this (seconds since `iat`) are refused, and a token without `iat` too; unset: `exp` alone decides. */
  jwtMaxTokenAgeSeconds: 'JWT_MAX_TOKEN_AGE_SECONDS',

  /** Whose credentials sign the calls to Bedrock: one of {@link BEDROCK_ACCESS_MODES}; unset: the function's role. */
  bedrockAccess: 'BEDROCK_ACCESS',
  /** `assume-role`: the role in the Bedrock account. */
  bedrockRoleArn: 'BEDROCK_ROLE_ARN',
  /** `assume-role`: the `sts:ExternalId` the role's trust policy requires (not a secret: it names the tenant). */
  bedrockExternalId: 'BEDROCK_EXTERNAL_ID',
  /** `assume-role`: the role session name (CloudTrail shows it). */
  bedrockSessionName: 'BEDROCK_SESSION_NAME',
  /** `caller-credentials`: comma-separated regions a caller may name; the first is the default. */
  bedrockAllowedRegions: 'BEDROCK_ALLOWED_REGIONS',

  /** The API key table (`CHAT_AUTH_MODE=api_key`): SHA-256 of each key → its name, owner, expiry and limits. */
  apiKeyTable: 'API_KEY_TABLE_NAME',

  /** Tokens (input, output and cache) each caller may use per UTC day; unset: no token budget (a key's own still applies). */
  budgetTokensPerDay: 'BUDGET_TOKENS_PER_DAY',
  /** Estimated US dollars each caller may spend per UTC day (priced with `CHAT_MODEL_PRICES`); unset: no cost budget. */
  budgetCostPerDayUsd: 'BUDGET_COST_PER_DAY_USD',
  /** When the table cannot be read: `true` answers anyway (and counts when it can), `false` answers 503. */
  budgetFailOpen: 'BUDGET_FAIL_OPEN',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** Every name of {@link ENV}: a user's own `environment` may not set any of them. */
export const CONTRACT_ENV_NAMES: readonly string[] = Object.values(ENV);

/** `CHAT_AUTH_MODE` values. */
export const AUTH_MODES = {
  /** SigV4 through an `AWS_IAM` Function URL; the caller is the verified IAM identity. */
  iam: 'iam',
  /** Bearer JWT verified by the handler behind a public (`NONE`) Function URL. */
  jwt: 'jwt',
  /** Bearer API key looked up by its SHA-256 in the API key table, behind a public (`NONE`) Function URL. */
  apiKey: 'api_key',
  /** Anyone, behind a public (`NONE`) Function URL; the caller is the source address (an IPv6 address by its /64). */
  publicUrl: 'public',
} as const;

export type AuthMode = (typeof AUTH_MODES)[keyof typeof AUTH_MODES];

/**
 * `CHAT_GUARDRAIL_STREAM_MODE` values (ConverseStream's `guardrailConfig.streamProcessingMode`): `sync` holds each
 * chunk until the guardrail has scanned it (a little latency, nothing blocked ever leaves), `async` sends chunks at
 * once and scans them alongside (no latency, but text later found to violate the policy has already been sent, and
 * PII masking is not applied to it).
 */
export const GUARDRAIL_STREAM_MODES = ['sync', 'async'] as const;
export type GuardrailStreamModeValue = (typeof GUARDRAIL_STREAM_MODES)[number];

/** `BEDROCK_ACCESS` values. */
export const BEDROCK_ACCESS_MODES = {
  /** The function's own execution role (module-scope clients). */
  functionRole: 'function-role',
  /** A role (often in another account) assumed with STS; credentials cached per execution environment. */
  assumeRole: 'assume-role',
  /** Each request carries the caller's own credentials (`awsCredentials` in the body); a client per request. */
  callerCredentials: 'caller-credentials',
} as const;

export type BedrockAccessMode = (typeof BEDROCK_ACCESS_MODES)[keyof typeof BEDROCK_ACCESS_MODES];

/** `JWT_COGNITO_TOKEN_USE` values. */
export const COGNITO_TOKEN_USES = ['id', 'access', 'any'] as const;
export type CognitoTokenUseValue = (typeof COGNITO_TOKEN_USES)[number];

/** Values used when the construct does not set a variable (and the construct's own `@default`s). */
export const DEFAULTS = {
  maxTokens: 1024,
  requestsPerMinute: 10,
  historyTurns: 10,
  retrievalResults: 5,
  retrievalMinScore: 0.4,
  jwtAlgorithms: ['RS256'],
  jwtClockSkewSeconds: 30,
  /** The session name of an assumed role when none is configured. */
  bedrockSessionName: 'bedrock-chat',
  /** Assumed-role credentials are refreshed this long before they expire. */
  credentialRefreshMarginSeconds: 300,
  /** Lifetime asked of STS for assumed-role credentials (the role's maximum caps it). */
  assumedRoleDurationSeconds: 3600,
} as const;
