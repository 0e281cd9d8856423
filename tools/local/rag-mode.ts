/**
 * The pieces `npm run local -- --mode rag` adds to the IAM mode (cli.ts): canned passages from a file, a canned
 * emulator answer that talks about the question rather than echoing the context block, and the environment the
 * construct sets with a knowledge base.
 */
import { readFileSync } from 'node:fs';
import type { AnswerContext, EmulatorPassage } from './bedrock-emulator';

/** A well-formed knowledge base id for local runs (10 letters or digits). */
export const LOCAL_KNOWLEDGE_BASE_ID = 'LOCALKB001';

/** Reads `[{ "text": "...", "score": 0.8, "uri": "s3://..." }, ...]` (the emulator checks each entry). */
export function readPassagesFile(path: string): EmulatorPassage[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`--passages ${path}: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new Error(`--passages ${path}: expected a JSON array of { "text": string, "score": number, "uri"?: string }`);
  return parsed as EmulatorPassage[];
}

/**
 * The emulator's canned answer in RAG mode. The default answer quotes the last user message, which here is the
 * context block; this one quotes the question and counts the passages, and says it is canned.
 */
export function ragEmulatorAnswer(request: AnswerContext): string {
  const question = /<question>\n([\s\S]*)\n<\/question>$/.exec(request.lastUserText)?.[1] ?? request.lastUserText;
  const context = /^<context>\n([\s\S]*?)\n<\/context>/.exec(request.lastUserText)?.[1] ?? '';
  const passages = context === '' ? 0 : context.split('\n\n').length;
  const quoted = question.replace(/\s+/g, ' ').trim();
  return (
    `[bedrock-emulator] This is a canned answer from the local Bedrock emulator, not a real model. You asked: ` +
    `"${quoted.length > 80 ? `${quoted.slice(0, 80)}…` : quoted}", and the prompt carried about ${passages} retrieved passage(s). ` +
    'Point the application at Amazon Bedrock and a real knowledge base to get real answers.'
  );
}

/** The variables `BedrockChatFunction` sets with `knowledgeBase` and `retrieval`. */
export function retrievalEnvironment(options: {
  knowledgeBaseId: string;
  numberOfResults: string;
  minScore: string;
  fallbackAnswer?: string;
}): Record<string, string> {
  return {
    KNOWLEDGE_BASE_ID: options.knowledgeBaseId,
    RETRIEVAL_RESULTS: options.numberOfResults,
    RETRIEVAL_MIN_SCORE: options.minScore,
    ...(options.fallbackAnswer !== undefined ? { RETRIEVAL_FALLBACK_ANSWER: options.fallbackAnswer } : {}),
  };
}
