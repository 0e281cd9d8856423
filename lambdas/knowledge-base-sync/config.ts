/**
 * The sync function's configuration, read once at init from the environment the construct writes
 * (contract/knowledge-base-sync.ts); a bad value fails the cold start naming the variable.
 */
import { SYNC_ENV } from '../../contract/knowledge-base-sync';
import { DATA_SOURCE_ID, KNOWLEDGE_BASE_ID, REGION } from '../../contract/patterns';

export interface SyncConfig {
  readonly region: string;
  readonly knowledgeBaseId: string;
  readonly dataSourceId: string;
}

export function loadSyncConfig(env: Readonly<Record<string, string | undefined>>): SyncConfig {
  const read = (name: string, pattern: RegExp, what: string): string => {
    const value = env[name];
    if (value === undefined || !pattern.test(value)) {
      throw new Error(`Environment variable ${name} must be ${what}, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`);
    }
    return value;
  };
  return {
    region: read('AWS_REGION', REGION, "an AWS region such as 'us-east-1'"),
    knowledgeBaseId: read(SYNC_ENV.knowledgeBaseId, KNOWLEDGE_BASE_ID, 'a knowledge base id (10 letters or digits)'),
    dataSourceId: read(SYNC_ENV.dataSourceId, DATA_SOURCE_ID, 'a data source id (10 letters or digits)'),
  };
}
