// The construct library's API. Helpers (bundle paths, ARN and statement builders, stack settings) are in private/;
// the stacks and stages in stacks/ and stages/ are this repository's app, built from these constructs.

export * from './bedrock/bedrock-agent-alias';
export * from './bedrock/bedrock-model';
export * from './constructs/api-key-table';
export * from './constructs/bedrock-access';
export * from './constructs/bedrock-chat-function';
export * from './constructs/chat-auth';
export * from './constructs/chat-backend';
export * from './constructs/chat-completions-api';
export * from './constructs/chat-guardrail';
export * from './constructs/chat-history-table';
export * from './constructs/chat-monitoring';
export * from './constructs/chat-website';
export * from './constructs/cognito-guest-pool';
export * from './constructs/cross-account-bedrock-role';
export * from './constructs/knowledge-base';
export * from './constructs/knowledge-base-sync';
export * from './constructs/rate-limit-table';
