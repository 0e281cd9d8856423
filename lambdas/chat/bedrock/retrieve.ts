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
  /** The sanitised message: `retrievalQuery.text`. */
  readonly query: string;
  /** `vectorSearchConfiguration.numberOfResults` (1..100). */
  readonly numberOfResults: number;
}

export interface RetrievedPassage {
  readonly text: string;
  /** Where the passage comes from (S3 URI, web or SaaS URL, custom document id); undefined when the result names none. */
  readonly uri: string | undefined;
  readonly score: number;
}

/** A source of an answer, as the SSE `done` event reports it. */
export interface AnswerSource {
  readonly uri: string;
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
      return [{ text, uri: sourceUri(result), score: typeof result.score === 'number' && Number.isFinite(result.score) ? result.score : 0 }];
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
  const best = new Map<string, number>();
  for (const { uri, score } of passages) {
    if (uri !== undefined && score > (best.get(uri) ?? -Infinity)) best.set(uri, score);
  }
  return [...best].map(([uri, score]) => ({ uri, score })).sort((a, b) => b.score - a.score);
}

function sourceUri(result: KnowledgeBaseRetrievalResult): string | undefined {
  const l = result.location;
  const fromLocation =
    l?.s3Location?.uri ??
    l?.webLocation?.url ??
    l?.confluenceLocation?.url ??
    l?.salesforceLocation?.url ??
    l?.sharePointLocation?.url ??
    l?.oneDriveLocation?.url ??
    l?.googleDriveLocation?.url ??
    l?.kendraDocumentLocation?.uri ??
    l?.customDocumentLocation?.id;
  const fromMetadata = result.metadata?.['x-amz-bedrock-kb-source-uri'];
  const uri = fromLocation ?? (typeof fromMetadata === 'string' ? fromMetadata : undefined);
  return uri !== undefined && uri !== '' ? uri : undefined;
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
