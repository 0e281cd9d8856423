import { CfnOutput, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import { Construct } from 'constructs';
import { ChatWebsite, ChatWebsiteBackend, ChatWebsiteFirewall, ChatWebsiteSignIn } from '../constructs/chat-website';
import { GuestRagChatStack } from './guest-rag-chat-stack';
import { JwtChatStack, PAGE_SIGN_IN_SCOPES, PAGE_SIGN_IN_TOKEN_USE } from './jwt-chat-stack';
import { StreamingChatStack } from './streaming-chat-stack';

export interface ChatWebsiteStackProps extends StackProps {
  /** The stage's guest RAG chat, offered first when present. */
  readonly guestRag?: GuestRagChatStack;
  /** The stage's JWT chat: offered when it has a managed-login domain for the page (`pageSignIn`). */
  readonly jwtChat?: JwtChatStack;
  /** The stage's IAM chat, signed in the browser with credentials the person types. */
  readonly iamChat?: StreamingChatStack;
  /** The page's domain name (with `certificateArn`). */
  readonly domainName?: string;
  readonly certificateArn?: string;
  /** `create`, or a CloudFront web ACL's ARN. */
  readonly firewall?: string;
  /** Serve the JWT chat under this path of the page's distribution (its URL must be `AWS_IAM`). */
  readonly signedInChatPath?: string;
  readonly removalPolicy: RemovalPolicy;
  /** The page's heading. */
  readonly title: string;
  /** The stage's model aliases, offered in the page's picker (the first is the default). */
  readonly models: string[];
  /** The JWT chat answers with a Bedrock Agent (no model picker). */
  readonly jwtChatUsesAgent: boolean;
}

/** The chat page of one stage, offering the backends the stage deploys. */
export class ChatWebsiteStack extends Stack {
  public readonly website: ChatWebsite;

  constructor(scope: Construct, id: string, props: ChatWebsiteStackProps) {
    super(scope, id, props);
    const backends: ChatWebsiteBackend[] = [];
    if (props.guestRag) {
      backends.push(
        ChatWebsiteBackend.guest({
          functionUrl: props.guestRag.chat.functionUrl,
          identityPoolId: props.guestRag.guests.identityPoolId,
          guestRole: props.guestRag.guests.unauthenticatedRole,
        }),
      );
    }
    const jwt = props.jwtChat;
    if (jwt?.signInDomain && jwt.userPoolClient) {
      backends.push(
        ChatWebsiteBackend.jwt({
          functionUrl: jwt.chat.functionUrl,
          signIn: ChatWebsiteSignIn.cognito(jwt.signInDomain, jwt.userPoolClient, {
            scopes: PAGE_SIGN_IN_SCOPES.map((scope) => scope.scopeName),
            tokenUse: PAGE_SIGN_IN_TOKEN_USE,
          }),
          ...(props.signedInChatPath ? { distributionPath: props.signedInChatPath } : {}),
          models: props.jwtChatUsesAgent ? [] : props.models,
        }),
      );
    }
    if (props.iamChat) {
      backends.push(ChatWebsiteBackend.iam({ functionUrl: props.iamChat.chat.functionUrl, models: props.models }));
    }

    this.website = new ChatWebsite(this, 'Website', {
      title: props.title,
      backends,
      removalPolicy: props.removalPolicy,
      ...(props.domainName && props.certificateArn
        ? {
            domainNames: [props.domainName],
            certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn),
          }
        : {}),
      ...(props.firewall
        ? { firewall: props.firewall === 'create' ? ChatWebsiteFirewall.create() : ChatWebsiteFirewall.fromWebAclArn(props.firewall) }
        : {}),
    });

    new CfnOutput(this, 'PageUrl', { value: `${this.website.url}/`, description: 'Open the chat page here' });
    new CfnOutput(this, 'PageOrigin', {
      value: this.website.url,
      description: 'The origin the backends must allow (corsAllowedOrigins) when the stage has no website.domainName',
    });
  }
}
