/**
 * What answers a prompt in the stored-chat mode: a model (`ConverseStream`, model-backend.ts) or a Bedrock
 * Agent (`InvokeAgent`, agent-backend.ts). The handler depends on this interface only, so each entry bundle
 * carries the one Bedrock client its backend calls.
 */
import type { TokenUsage } from '../../bedrock/converse-stream';
import type { UsageTally } from '../../bedrock/usage-tally';
import type { StoredTurn } from '../../chats/chat-store';
import type { CheckResult, DiagnosticCheck } from '../../diagnostics/diagnostics';

export interface AnswerRequest {
  /** The chat the answer belongs to (a new chat's id is generated before the call). */
  readonly chatId: string;
  /** Sanitised and validated. */
  readonly prompt: string;
  /** The chat's latest stored turns, oldest first: at most {@link AnswerBackend.historyTurns}. */
  readonly history: readonly StoredTurn[];
  /** What {@link AnswerBackend.chooseModel} returned for the request. */
  readonly model: string | undefined;
  /** The parsed request body, where caller credentials ride (`awsCredentials`); never stored. */
  readonly requestBody: unknown;
}

export interface AnswerResult {
  readonly stopReason?: string;
  readonly usage?: TokenUsage;
  /** US dollars, when the model has prices. */
  readonly estimatedCostUsd?: number;
}

export interface AnswerBackend {
  /** For the logs. */
  readonly kind: 'model' | 'agent';
  /** How many stored turns to load and send with a new prompt (0: the backend keeps its own memory). */
  readonly historyTurns: number;
  /**
   * The request's `model` (absent, null or as sent), checked as this backend allows: the alias that will
   * answer, or undefined when the backend has no choice of model. 400 `model_not_allowed` otherwise.
   */
  chooseModel(requested: unknown): string | undefined;
  /**
   * Generates the answer, handing each text delta to `onText` as it arrives. Failures are `ChatError`s;
   * an abort for another reason than the deadline rethrows `signal.reason`. A model backend follows the answer in
   * `tally`, which then holds what a failed or cut answer used (the agent reports no usage and leaves it empty).
   */
  answer(request: AnswerRequest, onText: (text: string) => void, signal: AbortSignal, tally: UsageTally): Promise<AnswerResult>;
  /** `POST /diagnostics`: the smallest calls that prove this backend's upstreams work (or the failed credentials check). */
  diagnosticChecks(requestBody: unknown): { checks: DiagnosticCheck[]; release(): void } | CheckResult;
}
