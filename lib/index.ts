export * from './bedrock/bedrock-model';
export * from './bedrock/model-access';
export * from './constructs/chat-auth';
export * from './constructs/rate-limit-table';
export * from './constructs/bedrock-chat-function';
export * from './stacks/streaming-chat-stack';
export * from './stages/chat-stage';
export * from './config/stage-config';
