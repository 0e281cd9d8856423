/**
 * `GET /health` and `POST /diagnostics`, on every chat function.
 *
 * - `/health` answers 200 `{ "status": "ok" }` before anything else: no rate-limit write, no token check (a JWKS
 *   fetch), no Bedrock call. Only the Function URL's own auth stands in front of it (IAM: SigV4; a public URL:
 *   nothing, and it reveals nothing but that the function runs).
 * - `/diagnostics` is authenticated and rate-limited like a chat request (with caller credentials, the body carries
 *   them), then makes the smallest call that proves each upstream works: each model with `maxTokens` 1 (through
 *   ConverseStream, the one action the function may call), the knowledge base with one result, STS for an assumed
 *   role. It answers 200 `{ ok, checks: [{ name, ok, latencyMs, code?, message? }] }`; a failed check carries the same
 *   stable code and actionable message a chat request would get (credentials missing, invalid or expired; access
 *   denied naming the action and ARN; model not found in the region; throttled).
 */
import type { ClientLease, ClientSource } from '../access/client-source';
import { type ConverseStreamClient, streamAnswer } from '../bedrock/converse-stream';
import { type ModelSettings, modelTarget } from '../bedrock/model-config';
import type { Invocation } from '../core/invocation';
import { ChatError, internalError } from '../http/errors';
import type { FunctionUrlEvent } from '../http/event';

export const HEALTH_PATH = '/health';
export const DIAGNOSTICS_PATH = '/diagnostics';

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly code?: string;
  readonly message?: string;
}

export interface DiagnosticsReport {
  readonly ok: boolean;
  readonly checks: readonly CheckResult[];
}

/** One upstream to prove: `run` makes the smallest call and throws what a chat request would get. */
export interface DiagnosticCheck {
  readonly name: string;
  run(signal: AbortSignal): Promise<unknown>;
}

function pathOf(event: FunctionUrlEvent): string {
  return event.rawPath ?? event.requestContext?.http?.path ?? '/';
}

/** `GET /health`. */
export function isHealthCheck(event: FunctionUrlEvent): boolean {
  return pathOf(event) === HEALTH_PATH && (event.requestContext?.http?.method ?? '').toUpperCase() === 'GET';
}

/** A request to `/diagnostics` (any method: the chat's method check refuses all but POST). */
export function isDiagnostics(event: FunctionUrlEvent): boolean {
  return pathOf(event) === DIAGNOSTICS_PATH;
}

export function answerHealth({ response, facts }: Pick<Invocation, 'response' | 'facts'>): void {
  facts.route = 'health';
  response.json(200, { status: 'ok' });
}

/**
 * Leases the clients a diagnosis needs from the body (a caller's credentials); when that fails (missing, malformed,
 * a region not allowed), the report is that one failed `credentials` check.
 */
export function leaseAll<T extends Record<string, ClientSource<unknown>>>(
  sources: T,
  body: unknown,
): { leases: { [K in keyof T]: ClientLease<T[K] extends ClientSource<infer C> ? C : never> }; release(): void } | CheckResult {
  const leases: Record<string, ClientLease<unknown>> = {};
  try {
    for (const [name, source] of Object.entries(sources)) leases[name] = source.forRequest(body);
  } catch (error) {
    for (const lease of Object.values(leases)) lease.release();
    return failed('credentials', 0, error);
  }
  return {
    leases: leases as { [K in keyof T]: ClientLease<T[K] extends ClientSource<infer C> ? C : never> },
    release: () => {
      for (const lease of Object.values(leases)) lease.release();
    },
  };
}

/** Runs every check at once, each bounded by the invocation's signal, and answers the report. */
export async function answerDiagnostics(invocation: Invocation, checks: readonly DiagnosticCheck[] | CheckResult): Promise<void> {
  const { response, facts, signal, now } = invocation;
  facts.route = 'diagnostics';
  const results: CheckResult[] = Array.isArray(checks)
    ? await Promise.all(
        (checks as readonly DiagnosticCheck[]).map(async (check) => {
          const started = now();
          try {
            await check.run(signal);
            return { name: check.name, ok: true, latencyMs: now() - started };
          } catch (error) {
            if (signal.aborted && !(error instanceof ChatError)) throw error;
            return failed(check.name, now() - started, error);
          }
        }),
      )
    : [checks as CheckResult];
  const report: DiagnosticsReport = { ok: results.every((r) => r.ok), checks: results };
  Object.assign(facts, {
    diagnosticsOk: report.ok,
    failedChecks:
      results
        .filter((r) => !r.ok)
        .map((r) => `${r.name}:${r.code}`)
        .join(',') || undefined,
  });
  response.json(200, report);
}

function failed(name: string, latencyMs: number, error: unknown): CheckResult {
  const chatError = error instanceof ChatError ? error : internalError(error);
  return { name, ok: false, latencyMs, code: chatError.code, message: chatError.message };
}

/** The smallest model call: one token, through ConverseStream (the only Bedrock action the function may call). */
export function modelChecks(settings: Pick<ModelSettings, 'models' | 'guardrail'>, lease: ClientLease<ConverseStreamClient>): DiagnosticCheck[] {
  return [...settings.models.keys()].map((alias) => ({
    name: `model:${alias}`,
    run: (signal) =>
      streamAnswer(
        lease.client,
        {
          target: modelTarget(settings, alias, lease.region),
          systemPrompt: 'Answer with one word.',
          history: [],
          message: 'Say OK.',
          maxTokens: 1,
          ...(settings.guardrail ? { guardrail: settings.guardrail } : {}),
        },
        () => undefined,
        signal,
      ),
  }));
}

/** STS for an assumed role: credentials obtainable (the cached ones, or one AssumeRole call). */
export function credentialChecks(source: ClientSource<unknown>): DiagnosticCheck[] {
  const verify = source.verifyCredentials;
  return verify ? [{ name: 'sts', run: () => verify() }] : [];
}
