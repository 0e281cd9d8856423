import { CfnOutput, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BedrockModel } from '../bedrock/bedrock-model';
import { BedrockChatFunction } from '../constructs/bedrock-chat-function';
import { ChatAuth } from '../constructs/chat-auth';
import { CognitoGuestPool } from '../constructs/cognito-guest-pool';
import { KnowledgeBase } from '../constructs/knowledge-base';
import { RateLimitTable } from '../constructs/rate-limit-table';

export interface GuestRagChatStackProps extends StackProps {
  /** Model alias → model or inference profile id; the first is the default. */
  readonly models: Record<string, string>;
  /** Passages retrieved per question. */
  readonly numberOfResults: number;
  /** Passages scoring below this are dropped; none left gives the fallback answer. */
  readonly minScore: number;
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: logs.RetentionDays;
  readonly reservedConcurrency: number;
  readonly requestsPerMinute: number;
  readonly rateLimitFailOpen: boolean;
  readonly corsAllowedOrigins: string[];
}

/**
 * The public guest RAG chatbot of seed 003 for one stage: a knowledge base over the company's
 * documents, a chat function (IAM auth) that answers only from them, a rate-limit table, and a
 * Cognito identity pool whose guests may only invoke that function's URL.
 */
export class GuestRagChatStack extends Stack {
  public readonly chat: BedrockChatFunction;
  public readonly knowledgeBase: KnowledgeBase;
  public readonly guests: CognitoGuestPool;

  constructor(scope: Construct, id: string, props: GuestRagChatStackProps) {
    super(scope, id, props);

    this.knowledgeBase = new KnowledgeBase(this, 'Knowledge', { removalPolicy: props.removalPolicy, description: 'Company documents the guest chatbot answers from' });
    const logKey = new kms.Key(this, 'LogKey', { description: 'Encrypts the chat function logs of this stack', enableKeyRotation: true, removalPolicy: props.removalPolicy });
    const limits = new RateLimitTable(this, 'RateLimits', { removalPolicy: props.removalPolicy });

    this.chat = new BedrockChatFunction(this, 'Chat', {
      auth: ChatAuth.iam(),
      models: Object.fromEntries(Object.entries(props.models).map(([alias, modelId]) => [alias, BedrockModel.fromId(modelId)])),
      knowledgeBase: this.knowledgeBase,
      retrieval: { numberOfResults: props.numberOfResults, minScore: props.minScore },
      rateLimit: { table: limits, requestsPerMinute: props.requestsPerMinute, failOpen: props.rateLimitFailOpen },
      reservedConcurrency: props.reservedConcurrency,
      logRetention: props.logRetention,
      logEncryptionKey: logKey,
      removalPolicy: props.removalPolicy,
      cors: props.corsAllowedOrigins.length > 0 ? { allowedOrigins: props.corsAllowedOrigins } : undefined,
    });

    this.guests = new CognitoGuestPool(this, 'Guests');
    this.guests.allowInvoke(this.chat.function);

    // What the signed client needs (lambdas/client): the URL, the pool, the guest role (basic flow) and the region.
    new CfnOutput(this, 'ChatUrl', { value: this.chat.functionUrl.url });
    new CfnOutput(this, 'IdentityPoolId', { value: this.guests.identityPoolId });
    new CfnOutput(this, 'GuestRoleArn', { value: this.guests.unauthenticatedRole.roleArn });
    new CfnOutput(this, 'Region', { value: this.region });
    new CfnOutput(this, 'DocumentsBucketName', { value: this.knowledgeBase.documentsBucket.bucketName, description: 'Upload documents here, then start an ingestion job for the data source' });
    new CfnOutput(this, 'KnowledgeBaseId', { value: this.knowledgeBase.knowledgeBaseId });
    new CfnOutput(this, 'DataSourceId', { value: this.knowledgeBase.dataSourceId });
  }
}
