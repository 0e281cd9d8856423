/**
 * A LOCAL FAKE of the caller-credentials chat (the backend where each caller's own AWS credentials travel
 * in the body, `awsCredentials`), which does not exist in the runtime yet: it serves the chat page the way
 * `npm run local` does (web-page.ts) and answers the request shape that backend will take, so the page's
 * form, its memory-only handling and its error messages can be tested now. It checks the body hash header
 * CloudFront's origin access control needs, and records what it received.
 *
 * Triggers: an access key id starting `AKIAINVALID` → 401 `invalid_credentials`, `AKIAEXPIRED` → 401
 * `credentials_expired`; a message containing "guardrail" → part of an answer, then an SSE `error` event
 * `guardrail_intervened` (the shape guardrails will use mid-stream).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { localPage } from '../../tools/local/web-page';

export interface FakeRequest {
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export interface CallerCredentialsFake {
  readonly url: string;
  readonly requests: FakeRequest[];
  close(): Promise<void>;
}

const ACCESS_KEY_ID = /^(AKIA|ASIA)[A-Z0-9]{16}$/;

export async function startCallerCredentialsFake(): Promise<CallerCredentialsFake> {
  const requests: FakeRequest[] = [];
  const page = localPage({
    config: {
      title: 'Chat with your AWS credentials (local fake backend)',
      backends: [
        {
          id: 'own',
          label: 'Your credentials',
          url: '/',
          models: ['haiku', 'sonnet'],
          kind: 'caller-credentials',
          allowedRegions: ['us-east-1', 'eu-west-1'],
        },
      ],
    },
  });
  const json = (res: ServerResponse, status: number, code: string, message: string): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code, message } }));
  };
  const server = createServer((req, res) => {
    if (page(req, res)) return;
    void (async () => {
      let body = '';
      for await (const chunk of req) body += String(chunk);
      requests.push({ headers: req.headers, body });
      if (req.method !== 'POST') return json(res, 405, 'method_not_allowed', 'POST only.');
      if (req.headers['x-amz-content-sha256'] !== createHash('sha256').update(body).digest('hex')) {
        return json(res, 403, 'access_denied', 'x-amz-content-sha256 does not match the body (CloudFront origin access control would refuse it).');
      }
      const parsed = JSON.parse(body) as { message?: string; awsCredentials?: { accessKeyId?: string; secretAccessKey?: string; region?: string } };
      const credentials = parsed.awsCredentials;
      if (!credentials?.accessKeyId || !credentials.secretAccessKey)
        return json(res, 400, 'credentials_required', 'Send awsCredentials with accessKeyId and secretAccessKey.');
      if (!ACCESS_KEY_ID.test(credentials.accessKeyId)) return json(res, 400, 'invalid_body', 'awsCredentials.accessKeyId is malformed.');
      if (credentials.accessKeyId.startsWith('AKIAINVALID'))
        return json(res, 401, 'invalid_credentials', 'The security token included in the request is invalid.');
      if (credentials.accessKeyId.startsWith('AKIAEXPIRED'))
        return json(res, 401, 'credentials_expired', 'The security token included in the request is expired.');
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' });
      const words =
        `An answer signed for ${credentials.region ?? 'the default region'}: the fake backend saw your key, never your secret in a log.`.split(' ');
      for (const [i, word] of words.entries()) {
        if (/guardrail/i.test(parsed.message ?? '') && i === 4) {
          res.end(`event: error\ndata: ${JSON.stringify({ code: 'guardrail_intervened', message: 'The guardrail blocked this answer.' })}\n\n`);
          return;
        }
        res.write(`event: delta\ndata: ${JSON.stringify({ text: `${i ? ' ' : ''}${word}` })}\n\n`);
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
      res.end(
        `event: done\ndata: ${JSON.stringify({ stopReason: 'end_turn', usage: { inputTokens: 5, outputTokens: words.length, totalTokens: 5 + words.length }, model: 'haiku' })}\n\n`,
      );
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
