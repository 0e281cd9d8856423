// One cold start of a BUILT bundle and one request, in this process (plain Node, no test framework), for
// tests that watch the whole process: `node test/support/bundle-request.mjs <bundle file> <HTTP method>`.
// Configuration comes from the environment, as the construct sets it. The request goes to the handler the
// bundle exports (no `awslambda` global: the stream handler itself) with a stream that collects the answer;
// the status and error code are printed as JSON on stdout.
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';

const [file, method] = process.argv.slice(2);
if (!file || !method) throw new Error('usage: bundle-request.mjs <bundle file> <HTTP method>');
const { handler } = await import(pathToFileURL(file).href);
const stream = new PassThrough();
const chunks = [];
stream.on('data', (chunk) => chunks.push(chunk));
await handler({ version: '2.0', rawPath: '/', headers: {}, requestContext: { http: { method, path: '/', sourceIp: '203.0.113.10' } } }, stream, {
  awsRequestId: 'bundle-request',
  getRemainingTimeInMillis: () => 10_000,
});
const [prelude, body] = Buffer.concat(chunks).toString('utf8').split('\0'.repeat(8));
process.stdout.write(`${JSON.stringify({ status: JSON.parse(prelude).statusCode, code: JSON.parse(body).error?.code })}\n`);
