/**
 * The environment contract of the retrieval-augmented mode (`entry/rag-chat.ts`), read and checked once at init:
 * everything the IAM mode reads (config.ts: `CHAT_MODELS`, `CHAT_MAX_TOKENS`, `CHAT_SYSTEM_PROMPT`, `AWS_REGION`,
 * `RATE_LIMIT_*`) plus what `BedrockChatFunction` sets with a `knowledgeBase`:
 *
 * | variable                    | value                                                   |
 * |-----------------------------|---------------------------------------------------------|
 * | `KNOWLEDGE_BASE_ID`         | the knowledge base id: 10 letters or digits             |
 * | `RETRIEVAL_RESULTS`         | passages retrieved per question, 1..100                 |
 * | `RETRIEVAL_MIN_SCORE`       | passages scoring below it are dropped, 0..1             |
 * | `RETRIEVAL_FALLBACK_ANSWER` | optional; the answer when no passage is relevant enough (1..1000 characters), default {@link DEFAULT_FALLBACK_ANSWER} |
 *
 * Without `CHAT_SYSTEM_PROMPT` the system prompt is the RAG prompt ({@link ragSystemPrompt}) built around the
 * fallback answer, not the IAM mode's general-purpose one. Every bad variable is reported at once, with its value.
 */
import { invalidConfiguration, positiveInteger, problemCollector, problemTracker, readModels, readSharedSettings, type ChatConfig, type Env, type ReportProblem } from '../../core/config';
import { DEFAULT_FALLBACK_ANSWER, ragSystemPrompt } from '../../prompt/rag-prompt';

export { DEFAULT_FALLBACK_ANSWER } from '../../prompt/rag-prompt';

export interface RetrievalConfig {
  readonly knowledgeBaseId: string;
  readonly numberOfResults: number;
  readonly minScore: number;
  readonly fallbackAnswer: string;
}

export interface RagChatConfig extends ChatConfig {
  readonly retrieval: RetrievalConfig;
}

/** The bounds `BedrockChatFunction` enforces on `retrieval`, checked again here. */
export const MAX_NUMBER_OF_RESULTS = 100;
export const MAX_FALLBACK_ANSWER_CHARS = 1000;

const KNOWLEDGE_BASE_ID = /^[0-9a-zA-Z]{10}$/;

export function loadRagConfig(env: Env): RagChatConfig {
  const { problems, bad } = problemCollector(env);
  const models = readModels(env, bad);
  const shared = readSharedSettings(env, bad);
  const retrieval = readRetrievalConfig(env, bad);
  if (problems.length > 0 || !models || !shared || !retrieval) throw invalidConfiguration(problems);
  return {
    ...models,
    ...shared,
    systemPrompt: env.CHAT_SYSTEM_PROMPT ?? ragSystemPrompt(retrieval.fallbackAnswer),
    retrieval,
  };
}

/** `KNOWLEDGE_BASE_ID` and `RETRIEVAL_*`; undefined when one is bad (and reported). */
export function readRetrievalConfig(env: Env, report: ReportProblem): RetrievalConfig | undefined {
  const tracker = problemTracker(report);
  const { bad } = tracker;
  const knowledgeBaseId = env.KNOWLEDGE_BASE_ID;
  if (knowledgeBaseId === undefined || !KNOWLEDGE_BASE_ID.test(knowledgeBaseId)) bad('KNOWLEDGE_BASE_ID', 'a knowledge base id (10 letters or digits, not an ARN)');
  const numberOfResults = positiveInteger('RETRIEVAL_RESULTS', env, bad, MAX_NUMBER_OF_RESULTS);
  const rawScore = env.RETRIEVAL_MIN_SCORE ?? '';
  const score = rawScore.trim() === '' ? NaN : Number(rawScore);
  const minScore = score >= 0 && score <= 1 ? score : bad('RETRIEVAL_MIN_SCORE', 'a number from 0 to 1');
  const fallbackAnswer = env.RETRIEVAL_FALLBACK_ANSWER ?? DEFAULT_FALLBACK_ANSWER;
  if (fallbackAnswer.trim() === '' || fallbackAnswer.length > MAX_FALLBACK_ANSWER_CHARS) {
    bad('RETRIEVAL_FALLBACK_ANSWER', `1 to ${MAX_FALLBACK_ANSWER_CHARS} characters, or the variable unset for the built-in answer`);
  }
  if (!tracker.valid || knowledgeBaseId === undefined || numberOfResults === undefined || minScore === undefined) return undefined;
  return { knowledgeBaseId, numberOfResults, minScore, fallbackAnswer };
}
