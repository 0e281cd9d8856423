/**
 * The environment of the retrieval-augmented mode (caller-sent turns answered from a knowledge base; bundle
 * `rag-chat`), read and checked once at init: everything the model-chat mode reads (modes/model-chat/config.ts)
 * plus what the construct sets for a knowledge base:
 *
 * | variable                    | value                                                   |
 * |-----------------------------|---------------------------------------------------------|
 * | `KNOWLEDGE_BASE_ID`         | the knowledge base id: 10 letters or digits             |
 * | `KNOWLEDGE_BASE_REGION`     | optional; the knowledge base's region when it is not the function's (an imported knowledge base), default `AWS_REGION` |
 * | `RETRIEVAL_RESULTS`         | passages retrieved per question, 1 to `LIMITS.maxRetrievalResults` |
 * | `RETRIEVAL_MIN_SCORE`       | passages scoring below it are dropped, 0..1             |
 * | `RETRIEVAL_FALLBACK_ANSWER` | optional; the answer when no passage is relevant enough (1 to `LIMITS.maxFallbackAnswerChars` characters), default {@link DEFAULT_FALLBACK_ANSWER} |
 *
 * Without `CHAT_SYSTEM_PROMPT` the system prompt is the RAG prompt ({@link ragSystemPrompt}) built around the
 * fallback answer, not the model-chat mode's general-purpose one. Every bad variable is reported at once, with its value.
 */
import { ENV } from '../../../../contract/env';
import { LIMITS } from '../../../../contract/limits';
import { KNOWLEDGE_BASE_ID } from '../../../../contract/patterns';
import { type AccessConfig, readAccessConfig } from '../../access/config';
import { type AuthConfig, readAuthConfig } from '../../auth/config';
import { type ModelSettings, readModelSettings } from '../../bedrock/model-config';
import { type BudgetConfig, readBudgetConfig } from '../../budgets/config';
import { type Env, loadConfig, positiveInteger, problemTracker, type ReportProblem, readRegion, readRegionVariable } from '../../core/config';
import { type RateLimitConfig, readRateLimitConfig } from '../../limits/config';
import { DEFAULT_FALLBACK_ANSWER, ragSystemPrompt } from './rag-prompt';

export { DEFAULT_FALLBACK_ANSWER } from './rag-prompt';

export interface RetrievalConfig {
  readonly knowledgeBaseId: string;
  /** Where the knowledge base is: `KNOWLEDGE_BASE_REGION`, else the function's region. */
  readonly region: string;
  readonly numberOfResults: number;
  readonly minScore: number;
  readonly fallbackAnswer: string;
  /** `KNOWLEDGE_BASE_DOCUMENTS_PREFIX`: stripped from S3 keys in the sources callers see; '' when unset. */
  readonly documentsPrefix: string;
}

export interface RagChatConfig extends Omit<ModelSettings, 'customSystemPrompt'> {
  readonly systemPrompt: string;
  readonly region: string;
  readonly rateLimit: RateLimitConfig;
  readonly auth: AuthConfig;
  readonly retrieval: RetrievalConfig;
  readonly access: AccessConfig;
  /** Daily token and cost budgets per caller (`BUDGET_*`): a guest by its address. */
  readonly budgets: BudgetConfig;
}

export function loadRagChatConfig(env: Env): RagChatConfig {
  return loadConfig(env, (bad) => {
    const model = readModelSettings(env, bad);
    const region = readRegion(env, bad);
    const rateLimit = readRateLimitConfig(env, bad);
    const auth = readAuthConfig(env, bad);
    const retrieval = readRetrievalConfig(env, bad, region);
    const access = readAccessConfig(env, bad);
    const budgets = readBudgetConfig(env, bad);
    if (!model || !region || !rateLimit || !auth || !retrieval || !access || !budgets) return undefined;
    const { customSystemPrompt, ...settings } = model;
    return {
      ...settings,
      systemPrompt: customSystemPrompt ?? ragSystemPrompt(retrieval.fallbackAnswer),
      region,
      rateLimit,
      auth,
      retrieval,
      access,
      budgets,
    };
  });
}

/**
 * `KNOWLEDGE_BASE_*` and `RETRIEVAL_*`; undefined when one is bad (and reported), or when the knowledge base's
 * region is the function's and that is unknown (a bad `AWS_REGION`, reported by its own reader).
 */
export function readRetrievalConfig(env: Env, report: ReportProblem, functionRegion: string | undefined): RetrievalConfig | undefined {
  const tracker = problemTracker(report);
  const { bad } = tracker;
  const knowledgeBaseId = env[ENV.knowledgeBaseId];
  if (knowledgeBaseId === undefined || !KNOWLEDGE_BASE_ID.test(knowledgeBaseId)) {
    bad(ENV.knowledgeBaseId, 'a knowledge base id (10 letters or digits, not an ARN)');
  }
  const region = readRegionVariable(ENV.knowledgeBaseRegion, env, bad, false) ?? functionRegion;
  const numberOfResults = positiveInteger(ENV.retrievalResults, env, bad, LIMITS.maxRetrievalResults);
  const rawScore = env[ENV.retrievalMinScore] ?? '';
  const score = rawScore.trim() === '' ? NaN : Number(rawScore);
  const minScore = score >= 0 && score <= 1 ? score : bad(ENV.retrievalMinScore, 'a number from 0 to 1');
  const fallbackAnswer = env[ENV.retrievalFallbackAnswer] ?? DEFAULT_FALLBACK_ANSWER;
  if (fallbackAnswer.trim() === '' || fallbackAnswer.length > LIMITS.maxFallbackAnswerChars) {
    bad(ENV.retrievalFallbackAnswer, `1 to ${LIMITS.maxFallbackAnswerChars} characters, or the variable unset for the built-in answer`);
  }
  if (!tracker.valid || knowledgeBaseId === undefined || region === undefined || numberOfResults === undefined || minScore === undefined) {
    return undefined;
  }
  const documentsPrefix = env[ENV.knowledgeBaseDocumentsPrefix] ?? '';
  return { knowledgeBaseId, region, numberOfResults, minScore, fallbackAnswer, documentsPrefix };
}
