import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * The runtime bundles that ship inside this package, one per deployed mode.
 *
 * They are built ahead of time by `npm run build:lambdas` (esbuild, ESM, minified, source maps)
 * into `assets/<name>/`, beside `lib/` in this repository and beside `dist/lib/` in the published
 * package, so a consumer's synth needs neither esbuild nor this repository's sources.
 */
export const CHAT_BUNDLES = {
  /** IAM-authenticated streaming chat: Bedrock Runtime `ConverseStream` and the DynamoDB rate limiter. */
  iamStream: 'chat-iam-stream',
  /** IAM-authenticated retrieval-augmented chat: Bedrock Agent Runtime `Retrieve`, `ConverseStream`, the rate limiter. */
  iamRag: 'chat-iam-rag',
  /** JWT-authenticated chat with history, answered by a model: jose, DynamoDB, Bedrock Runtime `ConverseStream`. */
  jwtModel: 'chat-jwt-model',
  /** JWT-authenticated chat with history, answered by a Bedrock Agent: jose, DynamoDB, Bedrock Agent Runtime `InvokeAgent`. */
  jwtAgent: 'chat-jwt-agent',
} as const;

export type ChatBundleName = (typeof CHAT_BUNDLES)[keyof typeof CHAT_BUNDLES];

/** The handler name inside every bundle (`index.mjs` exporting `handler`). */
export const BUNDLE_HANDLER = 'index.handler';

export function bundleDirectory(name: ChatBundleName): string {
  return path.resolve(__dirname, '..', 'assets', name);
}

export function bundleCode(name: ChatBundleName): lambda.Code {
  const dir = bundleDirectory(name);
  if (!existsSync(path.join(dir, 'index.mjs'))) {
    throw new Error(`The Lambda bundle '${name}' is missing at ${dir}. Run 'npm run build:lambdas' (or 'npm run build') first.`);
  }
  return lambda.Code.fromAsset(dir);
}
