import { CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { BedrockChatFunction } from '../constructs/bedrock-chat-function';
import { ChatAuth } from '../constructs/chat-auth';
import { ChatBackend } from '../constructs/chat-backend';
import { ChatMonitoring } from '../constructs/chat-monitoring';
import { ChatStackSettings, modelsFromIds, sharedChatResources, stageMonitoring } from '../private/chat-stack-settings';

export interface StreamingChatStackProps extends StackProps, ChatStackSettings {}

/**
 * The IAM-authenticated streaming chat of one stage: a rate-limit table and a chat function
 * whose Function URL only answers SigV4-signed requests.
 */
export class StreamingChatStack extends Stack {
  public readonly chat: BedrockChatFunction;
  /** The dashboard and alarms, when the stage configures `monitoring`. */
  public readonly monitoring?: ChatMonitoring;

  constructor(scope: Construct, id: string, props: StreamingChatStackProps) {
    super(scope, id, props);

    const { limits, functionProps } = sharedChatResources(this, props);
    this.chat = new BedrockChatFunction(this, 'Chat', {
      ...functionProps,
      auth: ChatAuth.iam(),
      backend: ChatBackend.models(modelsFromIds(props.models), { prices: props.modelPrices }),
      timeout: Duration.seconds(60),
    });

    this.monitoring = stageMonitoring(this, props, [this.chat], { answerWithModels: true });

    new CfnOutput(this, 'FunctionUrl', { value: this.chat.url, description: 'POST chat requests here, signed with SigV4 (service lambda)' });
    new CfnOutput(this, 'FunctionArn', {
      value: this.chat.functionArn,
      description: 'Grant lambda:InvokeFunctionUrl and lambda:InvokeFunction on this ARN to callers',
    });
    new CfnOutput(this, 'RateLimitTableName', { value: limits.tableName });
  }
}
