/**
 * Contextual grounding of retrieval-augmented answers, written once: the qualifiers of the `guardContent` blocks the
 * RAG runtime sends (lambdas/chat/modes/rag-chat/rag-prompt.ts) and the local emulator reads
 * (tools/local/bedrock-emulator/grounding.ts), the service's limits on what the check reads, and the thresholds
 * `ChatGuardrail` and the stage configuration accept.
 *
 * Amazon Bedrock User Guide, "Use contextual grounding check to filter hallucinations in responses" and "Include a
 * guardrail with the Converse API"; API reference, GuardrailConverseTextBlock (`qualifiers`).
 */

/** `guardContent.text.qualifiers` values (GuardrailConverseTextBlock). */
export const GUARD_QUALIFIERS = {
  /** The reference the answer must be grounded in: the retrieved passages. */
  groundingSource: 'grounding_source',
  /** The question the answer must be relevant to. */
  query: 'query',
  /** Content the guardrail's other policies (content filters, prompt attacks, topics, words, PII) evaluate. */
  guardContent: 'guard_content',
} as const;

export type GuardQualifier = (typeof GUARD_QUALIFIERS)[keyof typeof GUARD_QUALIFIERS];

/** What the contextual grounding check reads at most (the service's limits). */
export const GROUNDING_LIMITS = {
  /** Characters of the grounding source (all `grounding_source` blocks together). */
  maxSourceChars: 100_000,
  /** Characters of the query (all `query` blocks together). */
  maxQueryChars: 1_000,
  /** Characters of the answer the check reads. */
  maxAnswerChars: 5_000,
  /** Grounding and relevance thresholds: 0 to this (1 would block every answer). */
  maxThreshold: 0.99,
} as const;

/** The guest RAG chatbot's grounding and relevance thresholds unless its stage sets its own. */
export const GUEST_RAG_GROUNDING = { groundingThreshold: 0.75, relevanceThreshold: 0.75 } as const;
