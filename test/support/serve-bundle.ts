/**
 * Serves a BUILT Lambda bundle (assets/<mode>/index.mjs or a copy) behind the Function-URL-like server,
 * with the `awslambda` global installed first, exactly as the Lambda runtime loads it: the bundle takes
 * its `awslambda.streamifyResponse` branch. Run in a child process (the bundle is ESM):
 *   tsx test/support/serve-bundle.ts <bundle file> [iam|none]   → prints `listening <url>` on stdout
 * (`none`: a Function URL with auth NONE, no IAM authorizer in the events; the function checks bearer tokens).
 * The runtime tests start it on Node.js 24 (tools/node24) with `--import tsx`, as Lambda's runtime is.
 * Configuration comes from the environment, as the construct sets it.
 */
import { pathToFileURL } from 'node:url';
import { startFunctionUrlServer } from '../../tools/local/function-url-server';
import { installAwsLambdaGlobal } from '../../tools/local/lambda-runtime';

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: serve-bundle.ts <bundle file> [iam|none]');
  installAwsLambdaGlobal();
  const bundle = (await import(pathToFileURL(file).href)) as { handler: unknown };
  const server = await startFunctionUrlServer({ handler: bundle.handler, port: 0, ...(process.argv[3] === 'none' ? { identity: null } : {}) });
  process.stdout.write(`listening ${server.url}\n`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
