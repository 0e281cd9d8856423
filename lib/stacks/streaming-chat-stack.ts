import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BedrockModel } from '../bedrock/bedrock-model';
import { BedrockChatFunction } from '../constructs/bedrock-chat-function';
import { ChatAuth } from '../constructs/chat-auth';
import { RateLimitTable } from '../constructs/rate-limit-table';

export interface StreamingChatStackProps extends StackProps {
  /** Model alias → model or inference profile id; the first is the default. */
  readonly models: Record<string, string>;
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: logs.RetentionDays;
  readonly reservedConcurrency: number;
  readonly requestsPerMinute: number;
  readonly rateLimitFailOpen: boolean;
  /** Browser origins allowed to call the URL; empty for none. */
  readonly corsAllowedOrigins: string[];
}

/**
 * The IAM-authenticated streaming chat of one stage: a rate-limit table and a chat function
 * whose Function URL only answers SigV4-signed requests.
 */
export class StreamingChatStack extends Stack {
  public readonly chat: BedrockChatFunction;

  constructor(scope: Construct, id: string, props: StreamingChatStackProps) {
    super(scope, id, props);

    const logKey = new kms.Key(this, 'LogKey', {
      description: 'Encrypts the chat function logs of this stack',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    const limits = new RateLimitTable(this, 'RateLimits', { removalPolicy: props.removalPolicy });

    this.chat = new BedrockChatFunction(this, 'Chat', {
      auth: ChatAuth.iam(),
      models: Object.fromEntries(Object.entries(props.models).map(([alias, id]) => [alias, BedrockModel.fromId(id)])),
      rateLimit: { table: limits, requestsPerMinute: props.requestsPerMinute, failOpen: props.rateLimitFailOpen },
      reservedConcurrency: props.reservedConcurrency,
      logRetention: props.logRetention,
      logEncryptionKey: logKey,
      removalPolicy: props.removalPolicy,
      timeout: Duration.seconds(60),
      cors: props.corsAllowedOrigins.length > 0 ? { allowedOrigins: props.corsAllowedOrigins } : undefined,
    });

    new CfnOutput(this, 'FunctionUrl', { value: this.chat.functionUrl.url, description: 'POST chat requests here, signed with SigV4 (service lambda)' });
    new CfnOutput(this, 'FunctionArn', { value: this.chat.function.functionArn, description: 'Grant lambda:InvokeFunctionUrl and lambda:InvokeFunction on this ARN to callers' });
    new CfnOutput(this, 'RateLimitTableName', { value: limits.tableName });
  }
}
