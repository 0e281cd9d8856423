import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { BedrockAgentAlias } from '../bedrock/bedrock-agent-alias';
import { BedrockChatFunction } from '../constructs/bedrock-chat-function';
import { ChatAuth, CognitoTokenUse } from '../constructs/chat-auth';
import { ChatBackend } from '../constructs/chat-backend';
import { ChatHistoryTable } from '../constructs/chat-history-table';
import { ChatMonitoring } from '../constructs/chat-monitoring';
import { ChatStackSettings, modelsFromIds, sharedChatResources, stageMonitoring } from '../private/chat-stack-settings';

/** The OAuth scopes the app client allows and the chat page asks for: access tokens need no more. */
export const PAGE_SIGN_IN_SCOPES: readonly cognito.OAuthScope[] = [cognito.OAuthScope.OPENID];
/** The token the chat verifies and the chat page sends. */
export const PAGE_SIGN_IN_TOKEN_USE = CognitoTokenUse.ACCESS;

/** An issuer outside the stack whose tokens callers present. */
export interface ExternalIssuer {
  readonly issuer: string;
  readonly audience: string;
  /** Refuse tokens issued longer ago than this. */
  readonly maxTokenAge?: Duration;
}

export interface JwtChatStackProps extends StackProps, ChatStackSettings {
  /** Answer with this Bedrock Agent alias instead of the models. */
  readonly agent?: { readonly agentId: string; readonly agentAliasId: string };
  /** Verify tokens of this issuer; without it the stack creates a Cognito user pool and app client. */
  readonly externalIssuer?: ExternalIssuer;
  /** Claims every token must carry. */
  readonly requiredClaims: string[];
  /** Let people create their own accounts in the created user pool. */
  readonly selfSignUp: boolean;
  /** Sign-in from the chat page through Cognito managed login (only with the created user pool). */
  readonly pageSignIn?: PageSignIn;
  /** Serve the chat only through the page's CloudFront distribution (an `AWS_IAM` Function URL). */
  readonly behindCloudFront?: boolean;
  /** How long stored chats are kept after their last write (the history table's TTL). */
  readonly historyRetention: Duration;
}

/** How people sign in to the chat from its page: authorization code with PKCE, the page a public client. */
export interface PageSignIn {
  /** The page's URL with its trailing slash, e.g. `https://chat.example.com/`: the callback and sign-out URL. */
  readonly pageUrl: string;
  /** The managed-login domain prefix (`<prefix>.auth.<region>.amazoncognito.com`). */
  readonly domainPrefix: string;
}

/**
 * The JWT-authenticated chat of one stage: signed-in users, chats kept in DynamoDB,
 * answers from a model or a Bedrock Agent, streamed through a public Function URL whose handler
 * verifies every token.
 */
export class JwtChatStack extends Stack {
  public readonly chat: BedrockChatFunction;
  /** The dashboard and alarms, when the stage configures `monitoring`. */
  public readonly monitoring?: ChatMonitoring;
  public readonly userPool?: cognito.UserPool;
  public readonly userPoolClient?: cognito.UserPoolClient;
  /** The managed-login domain the chat page signs people in through (with `pageSignIn`). */
  public readonly signInDomain?: cognito.UserPoolDomain;

  constructor(scope: Construct, id: string, props: JwtChatStackProps) {
    super(scope, id, props);

    let auth: ChatAuth;
    if (props.externalIssuer) {
      auth = ChatAuth.jwt({ ...props.externalIssuer, requiredClaims: props.requiredClaims, behindCloudFront: props.behindCloudFront });
    } else {
      this.userPool = new cognito.UserPool(this, 'Users', {
        selfSignUpEnabled: props.selfSignUp,
        signInAliases: { email: true },
        standardAttributes: { email: { required: true, mutable: true } },
        passwordPolicy: {
          minLength: 12,
          requireLowercase: true,
          requireUppercase: true,
          requireDigits: true,
          requireSymbols: true,
          tempPasswordValidity: Duration.days(3),
        },
        mfa: cognito.Mfa.REQUIRED,
        mfaSecondFactor: { otp: true, sms: false },
        accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
        featurePlan: cognito.FeaturePlan.PLUS,
        standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
        deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
        removalPolicy: props.removalPolicy,
      });
      // A public client (the page cannot keep a secret). The only way in besides managed login is SRP, where the
      // password never leaves the client (CloudFormation would otherwise allow custom auth too). With a sign-in page:
      // the authorization code grant alone (no implicit grant: tokens never travel in a URL; the page always sends a
      // PKCE S256 challenge, which Cognito verifies at the token endpoint), the page as the only callback and
      // sign-out URL, and `openid` as the only scope: the chat verifies access tokens, which need no profile scope,
      // and never `aws.cognito.signin.user.admin`, which would let the token change the user's own attributes.
      // Without one, OAuth is off, so neither the managed login nor a made-up callback can issue tokens.
      this.userPoolClient = this.userPool.addClient('WebClient', {
        generateSecret: false,
        authFlows: { userSrp: true },
        preventUserExistenceErrors: true,
        idTokenValidity: Duration.hours(1),
        accessTokenValidity: Duration.hours(1),
        refreshTokenValidity: Duration.days(30),
        enableTokenRevocation: true,
        ...(props.pageSignIn
          ? {
              oAuth: {
                flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
                scopes: [...PAGE_SIGN_IN_SCOPES],
                callbackUrls: [props.pageSignIn.pageUrl],
                logoutUrls: [props.pageSignIn.pageUrl],
              },
            }
          : { disableOAuth: true }),
      });
      if (props.pageSignIn) {
        this.signInDomain = this.userPool.addDomain('SignIn', {
          cognitoDomain: { domainPrefix: props.pageSignIn.domainPrefix },
          managedLoginVersion: cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
        });
        new cognito.CfnManagedLoginBranding(this, 'SignInBranding', {
          userPoolId: this.userPool.userPoolId,
          clientId: this.userPoolClient.userPoolClientId,
          useCognitoProvidedValues: true,
        });
      }
      auth = ChatAuth.cognito(this.userPool, this.userPoolClient, {
        tokenUse: PAGE_SIGN_IN_TOKEN_USE,
        requiredClaims: props.requiredClaims,
        behindCloudFront: props.behindCloudFront,
      });
    }

    const { functionProps } = sharedChatResources(this, props);
    // A retained stage keeps its chats through a stack deletion, and refuses DeleteTable until protection is lifted.
    const history = new ChatHistoryTable(this, 'Chats', {
      removalPolicy: props.removalPolicy,
      deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
    });
    const stored = { table: history, retention: props.historyRetention };

    this.chat = new BedrockChatFunction(this, 'Chat', {
      ...functionProps,
      auth,
      backend: props.agent
        ? ChatBackend.agent(BedrockAgentAlias.fromIds(props.agent.agentId, props.agent.agentAliasId), { history: stored })
        : ChatBackend.models(modelsFromIds(props.models), { history: stored, prices: props.modelPrices }),
    });
    // Only with a public (NONE) URL: behind CloudFront the URL takes AWS_IAM auth and the rule does not apply.
    if (!props.behindCloudFront) {
      Validations.of(this.chat.node.findChild('Resource')).acknowledge({
        id: 'BedrockChat::BedrockChat-PublicEndpointGuardrail',
        reason:
          'Callers are signed-in users: the handler verifies every token (signature, iss, aud, exp, required claims) before any model call, and each user is rate limited and budgeted. A stage whose user pool allows self sign-up (dev) opens it to anyone with an email address; give the chat the guardrail prop there when it serves more than its team.',
      });
    }

    this.monitoring = stageMonitoring(this, props, [this.chat], { answerWithModels: props.agent === undefined });

    new CfnOutput(this, 'ChatUrl', {
      value: this.chat.url,
      description: 'POST chat, GET chats, GET/DELETE chats/{id}; send Authorization: Bearer <token>',
    });
    new CfnOutput(this, 'ChatHistoryTableName', { value: history.tableName });
    if (this.userPool && this.userPoolClient) {
      new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: this.userPoolClient.userPoolClientId });
    }
  }
}
