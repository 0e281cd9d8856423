/**
 * The Lambda bundles: one per deployed mode, each carrying only the clients that mode calls. The names are
 * the asset folders (`assets/<name>/index.mjs`) the constructs deploy and `lambdas/build.mjs` writes;
 * `bundles.json` maps each to its entry module (a JSON file so the plain-Node build script reads the same list).
 */
import entries from './bundles.json';

export const BUNDLES = {
  /** Caller-sent turns answered by a model (`ConverseStream`): Bedrock Runtime, DynamoDB. */
  modelChat: 'model-chat',
  /** Caller-sent turns answered from a knowledge base (`Retrieve`, then `ConverseStream`): + Agent Runtime. */
  ragChat: 'rag-chat',
  /** Stored chats (history table) answered by a model: jose, DynamoDB, Bedrock Runtime. */
  storedModelChat: 'stored-model-chat',
  /** Stored chats answered by a Bedrock Agent (`InvokeAgent`): jose, DynamoDB, Agent Runtime. */
  storedAgentChat: 'stored-agent-chat',
  /** Caller-sent messages answered by a Bedrock Agent (`InvokeAgent`), the alias fixed or the caller's: Agent Runtime, DynamoDB. */
  agentChat: 'agent-chat',
  /** The OpenAI-compatible API (`ConverseStream`, API keys, budgets): Bedrock Runtime, DynamoDB. */
  completions: 'completions',
  /** Not a chat: starts a knowledge base's ingestion job when its documents change (SQS batch in): Bedrock Agent. */
  knowledgeBaseSync: 'knowledge-base-sync',
} as const;

/** The bundles that serve a chat (Function URL, response streaming); the others are event-driven. */
export const CHAT_BUNDLES: readonly BundleName[] = [
  BUNDLES.modelChat,
  BUNDLES.ragChat,
  BUNDLES.storedModelChat,
  BUNDLES.storedAgentChat,
  BUNDLES.agentChat,
  BUNDLES.completions,
];

export type BundleName = (typeof BUNDLES)[keyof typeof BUNDLES];

/** Bundle name → entry module, relative to the repository root. */
export const BUNDLE_ENTRIES: Readonly<Record<BundleName, string>> = entries;

/** The handler inside every bundle: `index.mjs` exporting `handler`. */
export const BUNDLE_HANDLER = 'index.handler';
