import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { BedrockChatFunction } from '../constructs/bedrock-chat-function';
import { ChatAuth } from '../constructs/chat-auth';
import { ChatBackend } from '../constructs/chat-backend';
import { ChatGuardrail, GuardrailContextualGrounding } from '../constructs/chat-guardrail';
import { ChatMonitoring } from '../constructs/chat-monitoring';
import { CognitoGuestPool } from '../constructs/cognito-guest-pool';
import { KnowledgeBase } from '../constructs/knowledge-base';
import { KnowledgeBaseSync } from '../constructs/knowledge-base-sync';
import { ChatStackSettings, modelsFromIds, sharedChatResources, stageMonitoring } from '../private/chat-stack-settings';

export interface GuestRagChatStackProps extends StackProps, ChatStackSettings {
  /** Passages retrieved per question. */
  readonly numberOfResults: number;
  /** Passages scoring below this are dropped; none left gives the fallback answer. */
  readonly minScore: number;
  /** The guardrail's contextual grounding check: answers scoring below either threshold are blocked. */
  readonly contextualGrounding: GuardrailContextualGrounding;
}

/**
 * The public guest RAG chatbot of one stage: a knowledge base over the company's
 * documents, a chat function (IAM auth) that answers only from them behind a guardrail (anyone can
 * write to it), a rate-limit table, and a Cognito identity pool whose guests may only invoke that
 * function's URL.
 */
export class GuestRagChatStack extends Stack {
  public readonly chat: BedrockChatFunction;
  /** The dashboard and alarms, when the stage configures `monitoring`. */
  public readonly monitoring?: ChatMonitoring;
  public readonly knowledgeBase: KnowledgeBase;
  public readonly guests: CognitoGuestPool;
  public readonly guardrail: ChatGuardrail;
  /** Starts an ingestion job when documents under the prefix change. */
  public readonly sync: KnowledgeBaseSync;

  constructor(scope: Construct, id: string, props: GuestRagChatStackProps) {
    super(scope, id, props);

    this.knowledgeBase = new KnowledgeBase(this, 'Knowledge', {
      removalPolicy: props.removalPolicy,
      description: 'Company documents the guest chatbot answers from',
    });
    const { functionProps } = sharedChatResources(this, props);
    // Guests are anonymous: their input and the answers pass content filters and the prompt-attack filter, and each
    // answer must be grounded in the retrieved passages and relevant to the question. IAM refuses the function any
    // model call that does not name this guardrail (enforceGuardrail).
    this.guardrail = new ChatGuardrail(this, 'Guardrail', {
      description: 'Content safety and grounding of the guest chatbot',
      contextualGrounding: props.contextualGrounding,
    });

    this.chat = new BedrockChatFunction(this, 'Chat', {
      ...functionProps,
      auth: ChatAuth.iam(),
      guardrail: this.guardrail,
      enforceGuardrail: true,
      backend: ChatBackend.knowledgeBase(this.knowledgeBase, modelsFromIds(props.models), {
        numberOfResults: props.numberOfResults,
        minScore: props.minScore,
        prices: props.modelPrices,
      }),
    });

    this.guests = new CognitoGuestPool(this, 'Guests');
    this.guests.allowInvoke(this.chat);

    this.monitoring = stageMonitoring(this, props, [this.chat], { answerWithModels: true });
    this.sync = new KnowledgeBaseSync(this, 'Sync', {
      knowledgeBase: this.knowledgeBase,
      dataSourceId: this.knowledgeBase.dataSourceId,
      documentsBucket: this.knowledgeBase.documentsBucket,
      documentsPrefix: this.knowledgeBase.documentsPrefix,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      // With the stage's monitoring, sync failures notify the same topic as the chat's alarms.
      alarmTopic: this.monitoring?.alarmTopic,
    });

    // What the signed client needs (client): the URL, the pool, the guest role (basic flow) and the region.
    new CfnOutput(this, 'ChatUrl', { value: this.chat.url });
    new CfnOutput(this, 'IdentityPoolId', { value: this.guests.identityPoolId });
    new CfnOutput(this, 'GuestRoleArn', { value: this.guests.unauthenticatedRole.roleArn });
    new CfnOutput(this, 'Region', { value: this.region });
    new CfnOutput(this, 'DocumentsBucketName', {
      value: this.knowledgeBase.documentsBucket.bucketName,
      description: `Upload documents under ${this.knowledgeBase.documentsPrefix}: each change starts an ingestion job (npm run kb -- sync starts one by hand)`,
    });
    new CfnOutput(this, 'KnowledgeBaseId', { value: this.knowledgeBase.knowledgeBaseId });
    new CfnOutput(this, 'DataSourceId', { value: this.knowledgeBase.dataSourceId });
  }
}
