import { CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { BedrockAgentAlias } from '../bedrock/bedrock-agent-alias';
import { BedrockAccess } from '../constructs/bedrock-access';
import { BedrockChatFunction } from '../constructs/bedrock-chat-function';
import { ChatAuth } from '../constructs/chat-auth';
import { ChatBackend } from '../constructs/chat-backend';
import { ChatMonitoring } from '../constructs/chat-monitoring';
import { ChatStackSettings, modelsFromIds, sharedChatResources, stageMonitoring } from '../private/chat-stack-settings';

/** Bearer tokens of an OIDC issuer, for a caller-credentials chat behind JWT auth. */
export interface CallerCredentialsJwt {
  readonly issuer: string;
  readonly audience: string;
  readonly requiredClaims: string[];
}

/** The agent that answers: a fixed alias, the caller's choice, or both (the alias then the default). */
export interface CallerCredentialsAgent {
  readonly agentId?: string;
  readonly agentAliasId?: string;
  readonly allowCallerChoice: boolean;
}

export interface CallerCredentialsChatStackProps extends StackProps, ChatStackSettings {
  /** Verify bearer tokens of this issuer; without it the URL is public and each source address is one caller. */
  readonly jwt?: CallerCredentialsJwt;
  /** Regions a caller may name in `awsCredentials.region` (the first the default). */
  readonly allowedRegions: string[];
  /** Answer with this agent instead of the stage's models. */
  readonly agent?: CallerCredentialsAgent;
}

/**
 * The chat where each caller brings its own AWS credentials (`awsCredentials` in the body) and every Bedrock call is
 * signed with them: the function's role holds no Bedrock permission at all. It answers with the stage's models, or
 * with an agent (a fixed alias, or one the caller names). The URL is public, each source address rate limited and
 * failing closed whatever the stage's `rateLimitFailOpen` (nothing else stands in front of it), or takes JWTs.
 */
export class CallerCredentialsChatStack extends Stack {
  public readonly chat: BedrockChatFunction;
  /** The dashboard and alarms, when the stage configures `monitoring`. */
  public readonly monitoring?: ChatMonitoring;

  constructor(scope: Construct, id: string, props: CallerCredentialsChatStackProps) {
    super(scope, id, props);

    const { limits, functionProps } = sharedChatResources(this, props);
    const jwt = props.jwt;
    this.chat = new BedrockChatFunction(this, 'Chat', {
      ...functionProps,
      auth: jwt ? ChatAuth.jwt(jwt) : ChatAuth.publicUrl(),
      // The callers' credentials, whatever the stage's bedrockAccess: that is this chat's purpose.
      access: BedrockAccess.callerCredentials({ allowedRegions: props.allowedRegions }),
      backend: backendOf(props),
      rateLimit: { ...functionProps.rateLimit, failOpen: jwt ? props.rateLimitFailOpen : false },
      timeout: Duration.seconds(60),
    });

    this.monitoring = stageMonitoring(this, props, [this.chat], { answerWithModels: props.agent === undefined });

    new CfnOutput(this, 'ChatUrl', {
      value: this.chat.url,
      description: jwt
        ? 'POST { message, awsCredentials } here with Authorization: Bearer <token>'
        : 'POST { message, awsCredentials } here (public: each source address is rate limited)',
    });
    new CfnOutput(this, 'RateLimitTableName', { value: limits.tableName });
  }
}

function backendOf(props: CallerCredentialsChatStackProps): ChatBackend {
  const agent = props.agent;
  if (!agent) return ChatBackend.models(modelsFromIds(props.models), { prices: props.modelPrices });
  if (agent.agentId === undefined || agent.agentAliasId === undefined) return ChatBackend.callerChosenAgent();
  return ChatBackend.agent(BedrockAgentAlias.fromIds(agent.agentId, agent.agentAliasId), { allowCallerChoice: agent.allowCallerChoice });
}
