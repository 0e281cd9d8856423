import { Stage, StageProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { StageConfig } from '../config/stage-config';
import { StreamingChatStack } from '../stacks/streaming-chat-stack';

export interface ChatStageProps extends StageProps {
  readonly config: StageConfig;
}

/** One environment (dev, staging, prod): every chat stack, configured from its `StageConfig`. */
export class ChatStage extends Stage {
  public readonly streamingChat: StreamingChatStack;

  constructor(scope: Construct, id: string, props: ChatStageProps) {
    const { config } = props;
    super(scope, id, { ...props, env: { account: config.account ?? process.env.CDK_DEFAULT_ACCOUNT, region: config.region } });
    this.streamingChat = new StreamingChatStack(this, 'StreamingChat', {
      description: `IAM-authenticated streaming Bedrock chat (${config.name})`,
      models: config.models,
      removalPolicy: config.removalPolicy,
      logRetention: config.logRetention,
      reservedConcurrency: config.reservedConcurrency,
      requestsPerMinute: config.requestsPerMinute,
      rateLimitFailOpen: config.rateLimitFailOpen,
      corsAllowedOrigins: config.corsAllowedOrigins,
    });
  }
}
