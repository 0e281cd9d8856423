/**
 * The CORS the local server applies: the origins a stage allows (`corsAllowedOrigins` in cdk.json), with the
 * methods and headers the construct gives a Function URL for that auth mode and kind of chat (contract/cors.ts).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { FUNCTION_URL_CORS } from '../../contract';
import type { FunctionUrlCors } from './function-url-cors';

const CDK_JSON = path.join(__dirname, '../../cdk.json');

/** `context.stages.<stage>.corsAllowedOrigins` of cdk.json. */
export function stageCorsOrigins(stage: string, cdkJson = CDK_JSON): string[] {
  const stages = (JSON.parse(readFileSync(cdkJson, 'utf8')) as { context?: { stages?: Record<string, { corsAllowedOrigins?: unknown }> } }).context
    ?.stages;
  const config = stages?.[stage];
  if (!config) throw new RangeError(`--stage ${stage}: no such stage in cdk.json (stages: ${Object.keys(stages ?? {}).join(', ') || 'none'})`);
  const origins = config.corsAllowedOrigins ?? [];
  if (!Array.isArray(origins) || !origins.every((o) => typeof o === 'string')) {
    throw new RangeError(`--stage ${stage}: corsAllowedOrigins in cdk.json must be a list of origins`);
  }
  return origins;
}

/** The Function URL's CORS; undefined without origins (the construct then sets none). */
export function functionUrlCors(
  auth: keyof typeof FUNCTION_URL_CORS.allowHeaders,
  chats: keyof typeof FUNCTION_URL_CORS.allowMethods,
  origins: readonly string[],
): FunctionUrlCors | undefined {
  if (origins.length === 0) return undefined;
  return {
    allowOrigins: origins,
    allowMethods: FUNCTION_URL_CORS.allowMethods[chats],
    allowHeaders: FUNCTION_URL_CORS.allowHeaders[auth],
    exposeHeaders: FUNCTION_URL_CORS.exposeHeaders,
    maxAgeSeconds: FUNCTION_URL_CORS.defaultMaxAgeSeconds,
  };
}
