/**
 * Retrieves the passages for a question with Bedrock Agent Runtime `Retrieve` (the function role may call
 * `bedrock:Retrieve` on its one knowledge base and nothing else of that service), keeps those relevant enough,
 * and maps what the client throws to the {@link ChatError} a caller sees, before any byte of the answer:
 *
 * | Upstream                                                        | Status | Code                           |
 * |-----------------------------------------------------------------|--------|--------------------------------|
 * | AccessDeniedException                                           | 403    | knowledge_base_access_denied   |
 * | ResourceNotFoundException                                       | 404    | knowledge_base_not_found       |
 * | ThrottlingException, ServiceQuotaExceededException              | 429    | throttled                      |
 * | InternalServerException, DependencyFailedException, BadGatewayException, ValidationException, other service errors | 502 | retrieval_failed |
 * | ServiceUnavailableException, network errors                     | 503    | retrieval_unavailable          |
 * | SDK TimeoutError, our deadline                                  | 504    | upstream_timeout               |
 * | anything else (a bug)                                           | 500    | internal_error                 |
 *
 * A ValidationException is the service refusing a request this function built (the message is validated
 * before), so it is ours to fix (502), never the caller's; AWS validation messages may quote the rejected
 * value, which can be the question, so such a message is kept out of the log.
 */
import { type KnowledgeBaseRetrievalResult, RetrieveCommand, type RetrieveCommandOutput } from '@aws-sdk/client-bedrock-agent-runtime';
import { ChatError } from '../http/errors';
import { mapUpstreamError, RedactedUpstreamError, settleFailure, throttled } from './errors';

/** The one Bedrock Agent Runtime operation the RAG mode needs (the real `BedrockAgentRuntimeClient` satisfies it). */
export interface RetrieveClient {
  send(command: RetrieveCommand, options?: { abortSignal?: AbortSignal }): Promise<RetrieveCommandOutput>;
}

export interface RetrievalTarget {
  readonly knowledgeBaseId: string;
  readonly region: string;
}

export interface RetrievalInput extends RetrievalTarget {
  /** The key prefix the knowledge base ingests, stripped from S3 keys in source names; undefined: none. */
  readonly documentsPrefix?: string;
  /** The sanitised message: `retrievalQuery.text`. */
  readonly query: string;
  /** `vectorSearchConfiguration.numberOfResults` (1..100). */
  readonly numberOfResults: number;
}

export interface RetrievedPassage {
  readonly text: string;
  /** The document the passage comes from, as callers may see it; undefined when the result names none they may. */
  readonly source: DocumentSource | undefined;
  readonly score: number;
}

/**
 * A document as an anonymous caller may see it: the title its owner gave it (the `title` metadata attribute), else
 * its key under the ingested prefix (an S3 document), a custom document's id, or a public web page's URL. Never a
 * bucket name or an internal (SharePoint, Confluence, Salesforce, Drive) location.
 */
export interface DocumentSource {
  readonly title: string;
  /** Only for a web page the knowledge base crawled (already public). */
  readonly url?: string;
}

/** A source of an answer, as the SSE `done` event reports it. */
export interface AnswerSource extends DocumentSource {
  readonly score: number;
}

/** Retrieves up to `numberOfResults` passages with text, highest score first. */
export async function retrievePassages(client: RetrieveClient, input: RetrievalInput, signal: AbortSignal): Promise<RetrievedPassage[]> {
  let output: RetrieveCommandOutput;
  try {
    output = await client.send(
      new RetrieveCommand({
        knowledgeBaseId: input.knowledgeBaseId,
        retrievalQuery: { text: input.query },
        retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: input.numberOfResults } },
      }),
      { abortSignal: signal },
    );
  } catch (error) {
    throw settleFailure(error, signal, (failure) => mapRetrievalError(failure, input));
  }
  return (output.retrievalResults ?? [])
    .flatMap((result): RetrievedPassage[] => {
      const text = result.content?.text;
      if (typeof text !== 'string' || text.trim() === '') return []; // image or row results carry no text
      const score = typeof result.score === 'number' && Number.isFinite(result.score) ? result.score : 0;
      return [{ text, source: documentSource(result, input.documentsPrefix), score }];
    })
    .sort((a, b) => b.score - a.score);
}

/** The passages scoring at least `minScore`, in the order given (highest first, as {@link retrievePassages} returns them). */
export function relevantPassages(passages: readonly RetrievedPassage[], minScore: number): RetrievedPassage[] {
  return passages.filter((passage) => passage.score >= minScore);
}

/**
 * The sources of an answer: one entry per document (several chunks of one document collapse into one, with
 * their best score), highest score first. Passages without a location are used but not listed.
 */
export function answerSources(passages: readonly RetrievedPassage[]): AnswerSource[] {
  const best = new Map<string, AnswerSource>();
  for (const { source, score } of passages) {
    if (source === undefined) continue;
    const key = JSON.stringify([source.title, source.url]);
    if (score > (best.get(key)?.score ?? -Infinity)) best.set(key, { ...source, score });
  }
  return [...best.values()].sort((a, b) => b.score - a.score);
}

const MAX_TITLE_CHARS = 300;

/** The document a result comes from, as callers may see it ({@link DocumentSource}). */
export function documentSource(result: KnowledgeBaseRetrievalResult, documentsPrefix = ''): DocumentSource | undefined {
  const l = result.location;
  const titled = result.metadata?.title;
  const title = typeof titled === 'string' && titled.trim() !== '' ? titled.trim().slice(0, MAX_TITLE_CHARS) : undefined;
  const webUrl = l?.webLocation?.url;
  if (typeof webUrl === 'string' && /^https?:\/\//.test(webUrl)) return { title: title ?? webUrl, url: webUrl };
  if (title !== undefined) return { title };
  const fromMetadata = result.metadata?.['x-amz-bedrock-kb-source-uri'];
  const s3Uri = l?.s3Location?.uri ?? (typeof fromMetadata === 'string' && fromMetadata.startsWith('s3://') ? fromMetadata : undefined);
  if (typeof s3Uri === 'string') {
    const key = s3Uri.replace(/^s3:\/\/[^/]*\/?/, '');
    const name = key.startsWith(documentsPrefix) ? key.slice(documentsPrefix.length) : key;
    return name === '' ? undefined : { title: name };
  }
  const customId = l?.customDocumentLocation?.id;
  return typeof customId === 'string' && customId !== '' ? { title: customId } : undefined;
}

export function mapRetrievalError(error: unknown, target: RetrievalTarget): ChatError {
  return mapUpstreamError(error, {
    byName: (name, cause) => retrievalErrorByName(name, cause, target),
    unavailable: retrievalUnavailable,
    failed: retrievalFailed,
  });
}

function retrievalErrorByName(name: string, error: Error, target: RetrievalTarget): ChatError | undefined {
  const kb = `knowledge base ${target.knowledgeBaseId}`;
  switch (name) {
    case 'AccessDeniedException':
      return new ChatError(
        403,
        'knowledge_base_access_denied',
        `Access to ${kb} was denied. Check that the function role may call bedrock:Retrieve on the knowledge base ARN ` +
          `(arn:<partition>:bedrock:${target.region}:<account>:knowledge-base/${target.knowledgeBaseId}), and, if its data is ` +
          'encrypted with a customer-managed KMS key, that the role may use the key.',
        {},
        error,
      );
    case 'ResourceNotFoundException':
      return new ChatError(
        404,
        'knowledge_base_not_found',
        `The ${kb} was not found in region ${target.region}. Check KNOWLEDGE_BASE_ID and that the knowledge base exists in this region.`,
        {},
        error,
      );
    case 'ThrottlingException':
    case 'ServiceQuotaExceededException':
      return throttled('knowledge base', error);
    case 'ServiceUnavailableException':
      return retrievalUnavailable(error);
    case 'TimeoutError':
    case 'DeadlineExceededError':
      return new ChatError(504, 'upstream_timeout', 'The knowledge base did not answer in time. Try again.', {}, error);
    case 'ValidationException':
      return retrievalFailed(new RedactedUpstreamError(error));
    case 'InternalServerException':
    case 'DependencyFailedException':
    case 'BadGatewayException':
      return retrievalFailed(error);
  }
  return undefined;
}

function retrievalFailed(cause: Error): ChatError {
  return new ChatError(502, 'retrieval_failed', 'The knowledge base failed to answer the search for this question. Try again.', {}, cause);
}

function retrievalUnavailable(cause: Error): ChatError {
  return new ChatError(503, 'retrieval_unavailable', 'The knowledge base is unavailable right now. Try again shortly.', {}, cause);
}
