/**
 * A DynamoDB client for the operations the chat uses (`UpdateItem`, `GetItem`, `PutItem`, `DeleteItem`, `Query`,
 * `BatchWriteItem`), speaking DynamoDB's JSON protocol (`x-amz-target: DynamoDB_20120810.<Operation>`) over
 * HTTP/1.1 keep-alive, signed with SigV4, retried like the SDK (aws/service-error.ts). It takes the AWS SDK's
 * commands (`client.send(new UpdateItemCommand(input))`) and the bundles' stand-ins for them alike, answers with
 * the SDK's output shape (attribute values as sent; binary `B`/`BS` as byte arrays; `$metadata`) and fails with
 * the SDK's error names, so the rate limiter, the budgets, the API keys and the history store work with either.
 */

import { type CredentialSource, defaultCredentials, staticCredentials } from './credentials';
import { serviceEndpoint } from './endpoint';
import { KeepAliveHttpCaller } from './https-caller';
import { type CommandLike, fromBase64, operationOf, toJson } from './operation';
import { responseError, StandardRetryStrategy, withRetries } from './service-error';
import { type AwsCredentialIdentity, signRequest } from './signing';

export interface DynamoDbClientOptions {
  readonly region: string;
  /** Unset: the function role's (aws/credentials.ts). */
  readonly credentials?: AwsCredentialIdentity;
  readonly maxAttempts: number;
  readonly connectionTimeout: number;
  readonly requestTimeout: number;
}

/** Binary attribute values (`B`, `BS`) as byte arrays: the only strings under those keys in DynamoDB's answers. */
function reviveBinary(key: string, value: unknown): unknown {
  if (key === 'B' && typeof value === 'string') return fromBase64(value);
  if (key === 'BS' && Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.map(fromBase64);
  return value;
}

export class DynamoDbClient {
  private readonly region: string;
  private readonly credentials: CredentialSource;
  private readonly retries: StandardRetryStrategy;
  /** As an SDK client's: the retry strategy its calls use. */
  readonly config: { readonly retryStrategy: () => Promise<StandardRetryStrategy> };
  private readonly http: KeepAliveHttpCaller;
  private endpoint: URL | undefined;

  constructor(options: DynamoDbClientOptions) {
    this.region = options.region;
    this.credentials = options.credentials ? staticCredentials(options.credentials) : defaultCredentials;
    this.retries = new StandardRetryStrategy(options.maxAttempts);
    const strategy = this.retries;
    this.config = { retryStrategy: async () => strategy };
    this.http = new KeepAliveHttpCaller({ connectionTimeout: options.connectionTimeout, requestTimeout: options.requestTimeout });
  }

  // biome-ignore lint/suspicious/noExplicitAny: the output shape is the SDK command's, which the caller's types name
  async send(command: CommandLike, options?: { abortSignal?: AbortSignal }): Promise<any> {
    const operation = operationOf(command);
    this.endpoint ??= serviceEndpoint('DYNAMODB', 'dynamodb', this.region);
    const url = this.endpoint;
    const body = toJson(command.input);
    return withRetries(
      this.retries,
      async () => {
        const credentials = await this.credentials();
        const headers = signRequest(
          {
            method: 'POST',
            path: url.pathname,
            headers: { host: url.host, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${operation}` },
            body,
            region: this.region,
            service: 'dynamodb',
          },
          credentials,
        );
        const result = await this.http.post(url, headers, body, options?.abortSignal);
        if (result.status < 200 || result.status >= 300) throw responseError(result.status, result.headers, result.body);
        const output = (result.body ? JSON.parse(result.body, reviveBinary) : {}) as Record<string, unknown>;
        const requestId = result.headers['x-amzn-requestid'];
        return { ...output, $metadata: { httpStatusCode: result.status, ...(typeof requestId === 'string' ? { requestId } : {}) } };
      },
      options?.abortSignal,
    );
  }

  /** Opens the connection to the endpoint ahead of the first call (aws/https-caller.ts). */
  preconnect(): void {
    this.endpoint ??= serviceEndpoint('DYNAMODB', 'dynamodb', this.region);
    this.http.preconnect(this.endpoint);
  }

  destroy(): void {
    this.http.destroy();
  }
}
