/**
 * `npm run client -- "question"`: asks the guest chat through the signed client (guest-chat-client.ts) and prints
 * the answer as it streams, then its sources. By default it talks to `npm run local -- --mode rag` (the chat on
 * 127.0.0.1:3000, the Cognito Identity + STS stand-in on 127.0.0.1:3001); with the stack outputs it talks to a
 * deployment:
 *
 *   npm run client -- --url <ChatUrl> --region <Region> --identity-pool-id <IdentityPoolId> \
 *     --guest-role-arn <GuestRoleArn> "When is support open?"
 */
import { parseArgs } from 'node:util';
import { LOCAL_GUEST_CREDENTIALS_PORT, LOCAL_GUEST_ROLE_ARN, LOCAL_IDENTITY_POOL_ID } from '../tools/local/guest-credentials-emulator';
import { oldNodeNote } from '../tools/local/node-version';
import { ChatClientError, createGuestChatClient } from './guest-chat-client';

const HELP = `Usage: npm run client -- [options] "question"

Asks the guest chat with Cognito guest credentials and a SigV4-signed request; prints the streamed answer.
Defaults target npm run local -- --mode rag.

Options:
  --url <url>                 The Function URL (default http://127.0.0.1:3000/)
  --region <region>           The function's region, for signing (default: $AWS_REGION or us-east-1)
  --identity-pool-id <id>     Cognito identity pool (default the local stand-in's ${LOCAL_IDENTITY_POOL_ID})
  --guest-role-arn <arn>      The pool's guest role (default the local stand-in's)
  --identity-endpoint <url>   Cognito Identity and STS endpoint (default http://127.0.0.1:${LOCAL_GUEST_CREDENTIALS_PORT} with the
                              local pool, else AWS; AWS_ENDPOINT_URL_COGNITO_IDENTITY / _STS also work)
  --model <alias>             A model alias the deployment allows (default its first)
  --text                      Ask for plain text instead of Server-Sent Events (no sources then)
  -h, --help                  This help
`;

async function main(): Promise<number> {
  // On Node 20 the SDK's eight-line support warning would precede every answer; the README names the supported
  // versions and npm run local's banner says it once (node-version.ts). Only this process is affected.
  oldNodeNote();
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:3000/' },
      region: { type: 'string', default: process.env.AWS_REGION ?? 'us-east-1' },
      'identity-pool-id': { type: 'string', default: LOCAL_IDENTITY_POOL_ID },
      'guest-role-arn': { type: 'string', default: LOCAL_GUEST_ROLE_ARN },
      'identity-endpoint': { type: 'string' },
      model: { type: 'string' },
      text: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const message = positionals.join(' ').trim();
  if (values.help || message === '') {
    process.stdout.write(HELP);
    return values.help ? 0 : 2;
  }
  const identityEndpoint =
    values['identity-endpoint'] ??
    (values['identity-pool-id'] === LOCAL_IDENTITY_POOL_ID ? `http://127.0.0.1:${LOCAL_GUEST_CREDENTIALS_PORT}` : undefined);
  const client = createGuestChatClient({
    functionUrl: values.url,
    region: values.region,
    identityPoolId: values['identity-pool-id'],
    guestRoleArn: values['guest-role-arn'],
    ...(identityEndpoint ? { endpoints: { cognitoIdentity: identityEndpoint, sts: identityEndpoint } } : {}),
  });
  const input = { message, ...(values.model ? { model: values.model } : {}) };

  try {
    if (values.text) {
      for await (const text of client.chatText(input)) process.stdout.write(text);
      process.stdout.write('\n');
      return 0;
    }
    for await (const event of client.chat(input)) {
      if (event.type === 'delta') {
        process.stdout.write(event.text);
      } else if (event.type === 'done') {
        process.stdout.write('\n');
        const details = [
          `model ${event.model}`,
          `stop ${event.stopReason}`,
          `${event.usage.inputTokens} in / ${event.usage.outputTokens} out tokens`,
        ];
        if (event.fallback) details.push('fallback answer');
        process.stderr.write(`\n(${details.join(', ')})\n`);
        if (event.sources.length > 0)
          process.stderr.write(`Sources:\n${event.sources.map((s) => `  ${s.title}${s.url ? ` <${s.url}>` : ''} (score ${s.score})`).join('\n')}\n`);
      } else {
        process.stderr.write(`\n\nThe answer failed midway: ${event.code}: ${event.message}\n`);
        return 1;
      }
    }
    return 0;
  } catch (error) {
    if (!(error instanceof ChatClientError)) throw error;
    const retry = error.retryAfter !== undefined ? ` (retry after ${error.retryAfter} s)` : '';
    process.stderr.write(`Error ${error.code}${error.status ? ` (HTTP ${error.status})` : ''}: ${error.message}${retry}\n`);
    return 1;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(
      error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS') ? `${error.message}\n\n${HELP}` : error,
    );
    process.exitCode = 1;
  },
);
