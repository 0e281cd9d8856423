/**
 * What a chat Function URL allows to browsers on other origins. The construct sets it on the URL (`cors` prop;
 * the origins come from the caller or the stage's `corsAllowedOrigins`), and `npm run local` answers preflights
 * with the same values, so a page that works against the local server works deployed.
 */
export const FUNCTION_URL_CORS = {
  /**
   * Methods, by what the function serves: caller-sent turns are one POST; stored chats add listing and deleting; the
   * OpenAI-compatible API lists models with GET.
   */
  allowMethods: {
    callerTurns: ['POST'],
    storedChats: ['GET', 'POST', 'DELETE'],
    completions: ['GET', 'POST'],
  },
  /** Request headers, by how callers authenticate: SigV4's signature headers, or a bearer token (or `id_token`). */
  allowHeaders: {
    iam: ['content-type', 'accept', 'authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256'],
    jwt: ['content-type', 'accept', 'authorization', 'id_token'],
  },
  /** Response headers a page may read: the request id to quote in a report, and when to retry after a 429. */
  exposeHeaders: ['x-request-id', 'retry-after'],
  /** Seconds a browser may cache a preflight answer, unless the construct's `cors.maxAge` says otherwise. */
  defaultMaxAgeSeconds: 600,
} as const;
