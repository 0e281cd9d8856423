/**
 * The typed chat client, published as the package's `bedrock-chat-constructs/client` entry point: for browsers and
 * Node.js, it gets Cognito guest credentials, signs each request with SigV4 and streams the answer. It needs the
 * optional peer dependencies `aws4fetch`, `@aws-sdk/client-cognito-identity` and `@aws-sdk/client-sts`; the
 * construct library (the package's main entry) needs none of them.
 */
export {
  type AnswerSource,
  ChatClientError,
  type ChatEvent,
  type ChatInput,
  type ChatTurn,
  createGuestChatClient,
  type GuestChatClient,
  type GuestChatClientOptions,
  SIGNING_SERVICE,
  type TokenUsage,
} from './guest-chat-client';
export {
  type AwsCredentials,
  type CredentialsProvider,
  createGuestCredentialsProvider,
  type GuestCredentialsOptions,
  type GuestCredentialsProvider,
  type GuestIdentityEndpoints,
  REFRESH_BEFORE_EXPIRY_MS,
} from './guest-credentials';
export { MAX_SSE_BUFFER_CHARS, readSseEvents, readText, type SseMessage, SseParser } from './sse';
