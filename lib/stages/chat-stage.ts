import { Duration, Stage, StageProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { StageConfig, StagePrice } from '../config/stage-config';
import { ModelPrice } from '../constructs/chat-backend';
import { chatStackSettings } from '../private/chat-stack-settings';
import { CallerCredentialsChatStack } from '../stacks/caller-credentials-chat-stack';
import { ChatCompletionsStack } from '../stacks/chat-completions-stack';
import { ChatWebsiteStack } from '../stacks/chat-website-stack';
import { GuestRagChatStack } from '../stacks/guest-rag-chat-stack';
import { JwtChatStack } from '../stacks/jwt-chat-stack';
import { StreamingChatStack } from '../stacks/streaming-chat-stack';

export interface ChatStageProps extends StageProps {
  readonly config: StageConfig;
}

/**
 * One environment (dev, staging, prod): a stack per backend its `StageConfig` names, and none for a backend it
 * does not name, and the chat page (`ChatWebsite`) when it names `website`. The stack ids (`StreamingChat`, `JwtChat`, `GuestRagChat`, `CallerCredentialsChat`, `ChatCompletions`, `ChatWebsite`) are a public contract: renaming one
 * replaces every resource in it.
 */
export class ChatStage extends Stage {
  /** The IAM streaming chat, when the stage names `iamChat`. */
  public readonly streamingChat?: StreamingChatStack;
  /** The JWT chat, when the stage names `jwtChat`. */
  public readonly jwtChat?: JwtChatStack;
  /** The guest RAG chat, when the stage names `guestRag`. */
  public readonly guestRag?: GuestRagChatStack;
  /** The chat whose callers bring their own AWS credentials, when the stage names `callerCredentialsChat`. */
  public readonly callerCredentialsChat?: CallerCredentialsChatStack;
  /** The OpenAI-compatible API, when the stage names `chatCompletions`. */
  public readonly chatCompletions?: ChatCompletionsStack;
  /** The chat page offering the backends above, when the stage names `website`. */
  public readonly website?: ChatWebsiteStack;

  constructor(scope: Construct, id: string, props: ChatStageProps) {
    const { config } = props;
    super(scope, id, { ...props, env: { account: config.account ?? process.env.CDK_DEFAULT_ACCOUNT, region: config.region } });
    const site = config.website;
    // The page calls the backends from its own origin: with a domain name, each backend's CORS names it now.
    const pageOrigin = site?.domainName ? `https://${site.domainName}` : undefined;
    const stageSettings = { ...chatStackSettings(config), modelPrices: config.prices && modelPrices(config.prices) };
    const settings =
      pageOrigin && !stageSettings.corsAllowedOrigins.includes(pageOrigin)
        ? { ...stageSettings, corsAllowedOrigins: [...stageSettings.corsAllowedOrigins, pageOrigin] }
        : stageSettings;
    if (config.iamChat) {
      this.streamingChat = new StreamingChatStack(this, 'StreamingChat', {
        ...settings,
        description: `IAM-authenticated streaming Bedrock chat (${config.name})`,
      });
    }
    const jwt = config.jwtChat;
    if (jwt) {
      this.jwtChat = new JwtChatStack(this, 'JwtChat', {
        ...settings,
        description: `JWT-authenticated Bedrock chat with history (${config.name})`,
        agent: jwt.agent,
        externalIssuer:
          jwt.issuer !== undefined && jwt.audience !== undefined
            ? {
                issuer: jwt.issuer,
                audience: jwt.audience,
                ...(jwt.maxTokenAgeMinutes !== undefined ? { maxTokenAge: Duration.minutes(jwt.maxTokenAgeMinutes) } : {}),
              }
            : undefined,
        requiredClaims: jwt.requiredClaims,
        selfSignUp: jwt.selfSignUp,
        historyRetention: Duration.days(jwt.historyRetentionDays),
        behindCloudFront: site?.signedInChatPath !== undefined,
        pageSignIn: pageOrigin && site?.signInDomainPrefix ? { pageUrl: `${pageOrigin}/`, domainPrefix: site.signInDomainPrefix } : undefined,
      });
    }
    if (config.guestRag) {
      this.guestRag = new GuestRagChatStack(this, 'GuestRagChat', {
        ...settings,
        description: `Guest RAG chatbot over the company's documents (${config.name})`,
        numberOfResults: config.guestRag.numberOfResults,
        minScore: config.guestRag.minScore,
        contextualGrounding: { groundingThreshold: config.guestRag.groundingThreshold, relevanceThreshold: config.guestRag.relevanceThreshold },
      });
    }
    const byo = config.callerCredentialsChat;
    if (byo) {
      this.callerCredentialsChat = new CallerCredentialsChatStack(this, 'CallerCredentialsChat', {
        ...settings,
        description: `Bedrock chat on each caller's own AWS credentials (${config.name})`,
        jwt:
          byo.auth === 'jwt' && byo.issuer && byo.audience
            ? { issuer: byo.issuer, audience: byo.audience, requiredClaims: byo.requiredClaims }
            : undefined,
        allowedRegions: byo.allowedRegions,
        agent: byo.agent,
      });
    }
    const completions = config.chatCompletions;
    if (completions) {
      this.chatCompletions = new ChatCompletionsStack(this, 'ChatCompletions', {
        ...settings,
        requestsPerMinute: completions.requestsPerMinute,
        description: `OpenAI-compatible chat completions on Amazon Bedrock (${config.name})`,
        maxTokens: completions.maxTokens,
        tokensPerDay: completions.tokensPerDay,
        costPerDayUsd: completions.costPerDayUsd,
        jwt:
          completions.auth === 'jwt' && completions.issuer !== undefined && completions.audience !== undefined
            ? { issuer: completions.issuer, audience: completions.audience, requiredClaims: completions.requiredClaims }
            : undefined,
      });
    }
    if (site) {
      this.website = new ChatWebsiteStack(this, 'ChatWebsite', {
        description: `The chat page (${config.name})`,
        title: 'Chat',
        guestRag: this.guestRag,
        jwtChat: this.jwtChat,
        iamChat: this.streamingChat,
        models: Object.keys(config.models),
        jwtChatUsesAgent: config.jwtChat?.agent !== undefined,
        domainName: site.domainName,
        certificateArn: site.certificateArn,
        firewall: site.firewall,
        signedInChatPath: site.signedInChatPath,
        removalPolicy: config.removalPolicy,
      });
    }
  }
}

/** The stage's price table as the constructs take it. */
function modelPrices(prices: Record<string, StagePrice>): Record<string, ModelPrice> {
  return Object.fromEntries(
    Object.entries(prices).map(([alias, p]) => [
      alias,
      {
        inputPerMillionTokens: p.input,
        outputPerMillionTokens: p.output,
        ...(p.cacheRead !== undefined ? { cacheReadPerMillionTokens: p.cacheRead } : {}),
        ...(p.cacheWrite !== undefined ? { cacheWritePerMillionTokens: p.cacheWrite } : {}),
      },
    ]),
  );
}
