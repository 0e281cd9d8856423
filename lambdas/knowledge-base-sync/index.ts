/**
 * Lambda entry of the knowledge-base-sync bundle: an SQS event source (S3 document changes from EventBridge,
 * batched) → at most one `StartIngestionJob` (sync.ts). One client, Bedrock Agent (the control plane), for the two
 * calls the role allows on the one knowledge base; its endpoint comes from the SDK's own
 * `AWS_ENDPOINT_URL_BEDROCK_AGENT` variable (local runs and tests).
 */
import { BedrockAgentClient } from '@aws-sdk/client-bedrock-agent';
import { loadSyncConfig } from './config';
import { createSyncHandler } from './sync';

const config = loadSyncConfig(process.env);

const agent = new BedrockAgentClient({ region: config.region, maxAttempts: 3 });

export const handler = createSyncHandler({ config, agent });
