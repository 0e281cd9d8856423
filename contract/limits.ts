/** Bounds the construct validates at synth and the runtime enforces per request (or checks again at init). */
export const LIMITS = {
  /** Code points of a message or prompt, after sanitising. */
  maxMessageChars: 2000,
  /** Code points kept of each caller-sent turn. */
  maxTurnChars: 2000,
  /** Caller-sent turns kept (even: the kept suffix starts with a user turn). */
  maxCallerTurns: 20,
  /** Request bodies above this are refused with 413 before being parsed. */
  maxBodyBytes: 64 * 1024,
  /** `maxTokens`: 1 to this. */
  maxTokens: 64_000,
  /** Stored turns sent back to the model: 0 to this. */
  maxHistoryTurns: 50,
  /** Days stored chats may be kept by their TTL: 1 to this (about 10 years). */
  maxHistoryRetentionDays: 3650,
  /** Retrieved passages per question: 1 to this. */
  maxRetrievalResults: 100,
  /** Characters of the fallback answer. */
  maxFallbackAnswerChars: 1000,
  /** Characters of a system prompt (Lambda environment variables total at most 4 KB). */
  maxSystemPromptChars: 3000,
  /** JWT clock skew tolerance, seconds. */
  maxClockSkewSeconds: 300,
  /** The shortest and longest `maxTokenAge` of external issuers' tokens (age from `iat`), seconds. */
  minTokenAgeSeconds: 60,
  maxTokenAgeSeconds: 86_400,
  /** Model aliases per function. */
  maxModels: 20,
  /** Characters of a token's `sub` (it becomes part of DynamoDB keys). */
  maxSubjectLength: 256,
  /** UTF-8 bytes of one stored answer. */
  maxAnswerBytes: 350_000,
  /** Request bodies of the OpenAI-compatible API (inline images): the Function URL's own 6 MB cap, less headroom. */
  maxCompletionsBodyBytes: 5 * 1024 * 1024,
  /** Tokens per day of a budget: 1 to this. */
  maxTokensPerDay: 1_000_000_000_000,
  /** US dollars per day of a budget, and per million tokens of a price: up to this. */
  maxUsd: 1_000_000,
  /** Seconds an API key lookup is cached (a revoked key works at most this long). */
  apiKeyCacheSeconds: 60,
  /** Requests per minute per caller: 1 to this. */
  maxRequestsPerMinute: 100_000,
} as const;
