/**
 * `npm run local`: the IAM streaming chat function on http://127.0.0.1:3000 with everything it needs,
 * in one process and without an AWS account: embedded dynalite for the rate limit, the Bedrock emulator
 * (canned answers) or, with `--real-bedrock`, Amazon Bedrock with your own credentials.
 *
 * `--mode jwt` runs the JWT-authenticated chat with history instead (entry/stored-model-chat.ts, or entry/stored-agent-chat.ts
 * with `--agent`): a local token issuer serves its JWKS and prints a signed token (jwt-mode.ts).
 *
 * `--mode openai` runs the OpenAI-compatible completions function (entry/completions.ts) behind a public URL, with an
 * API key table in dynalite and a new key printed with curl and `openai` client examples (openai-mode.ts).
 *
 * `--mode rag` runs the retrieval-augmented function instead (entry/rag-chat.ts): the emulator also answers
 * Retrieve (canned passages, or `--passages file.json`), and a Cognito Identity + STS stand-in on port 3001
 * issues fake guest credentials, so `npm run client -- "question"` runs the signed client end to end.
 *
 * The function gets the same environment the construct sets and runs through the Lambda runtime miniature
 * behind the Function-URL-like server (no SigV4 verification: see function-url-server.ts), which answers CORS
 * preflights for the stage's origins as the deployed Function URL would (`--stage`, default dev).
 *
 * The npm script starts this file with `exec`, so npm's own process is this one's parent and the SIGINT or
 * SIGTERM npm forwards (Ctrl-C, `kill <npm pid>`, an IDE's stop button) reaches it: every server stops and the
 * process exits. Without `exec`, npm's `sh -c` kept the signal and the servers ran on, orphaned (measured).
 */

import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AUTH_MODES, BEDROCK_ACCESS_MODES, DEFAULTS, ENV, IAM_ROLE_ARN, METRICS_NAMESPACE } from '../../contract';
import { checkAwsCredentials, MissingCredentialsError } from './aws-credentials';
import { type BedrockEmulator, startBedrockEmulator } from './bedrock-emulator';
import { createRateLimitTable, startDynalite } from './dynamo';
import { echoMetrics } from './emf-printer';
import { CALLER_HEADER, type FunctionUrlServer, LOCAL_IAM_IDENTITY, startFunctionUrlServer } from './function-url-server';
import {
  LOCAL_GUEST_CREDENTIALS_PORT,
  LOCAL_GUEST_ROLE_ARN,
  LOCAL_IDENTITY_POOL_ID,
  startGuestCredentialsEmulator,
} from './guest-credentials-emulator';
import { JWT_MODE_HELP, LOCAL_AGENT_ALIAS_ID, LOCAL_AGENT_ID, startJwtMode } from './jwt-mode';
import { installAwsLambdaGlobal } from './lambda-runtime';
import { oldNodeNote } from './node-version';
import { startOpenAiMode } from './openai-mode';
import { ignoreExistingTable, type PresetService, presetEndpoint } from './preset-endpoints';
import { LOCAL_KNOWLEDGE_BASE_ID, ragEmulatorAnswer, readPassagesFile, retrievalEnvironment } from './rag-mode';
import { signInStandIn } from './sign-in-stand-in';
import { functionUrlCors, stageCorsOrigins } from './stage-cors';
import { localBackend, localPage, originOf } from './web-page';

/** The guardrail `--guardrail` names unless told otherwise (the emulator accepts any well-formed one). */
const LOCAL_GUARDRAIL = { id: 'localguardrail1', version: '1' };
const DEFAULT_MODELS = ['haiku=global.anthropic.claude-haiku-4-5-20251001-v1:0', 'sonnet=global.anthropic.claude-sonnet-4-6'];
const TABLE_NAME = 'local-chat-rate-limits';
const DEFAULT_PORT = 3000;
const DEFAULT_STAGE = 'dev';

const HELP = `Usage: npm run local -- [options]

Runs the IAM streaming chat function locally: Function-URL-like server, embedded DynamoDB (dynalite)
for the rate limit, and the Bedrock emulator (canned answers) unless --real-bedrock.

Options:
  --mode <iam|rag|jwt|caller-credentials|openai>
                        iam: the IAM streaming chat (default). rag: the guest RAG chatbot (answers from a
                        knowledge base), with a Cognito Identity + STS stand-in for the guest client (npm run client).
                        jwt: the signed-in users' chat with stored history, with a local token issuer.
                        caller-credentials: the IAM chat calling Bedrock with the credentials each request carries
                        (awsCredentials); the emulator accepts only the local caller key the banner prints
                        openai: the OpenAI-compatible API (/v1/chat/completions, /v1/models) with API keys; prints a
                        new key, a curl and an openai client example
  --assume-role <arn>   Any mode: call Bedrock as this role (BEDROCK_ACCESS=assume-role); the emulator answers STS
                        AssumeRole and refuses Bedrock calls signed with the function's own key
  --external-id <id>    With --assume-role: the sts:ExternalId sent (and, with the emulator, required)
  --port <n>            HTTP port on 127.0.0.1 (default ${DEFAULT_PORT})
  --stage <name>        Answer CORS preflights for this cdk.json stage's corsAllowedOrigins (default ${DEFAULT_STAGE})
  --cors-origin <o>     Allow this origin instead; repeat for several
  --real-bedrock        Call Amazon Bedrock in --region with your own AWS credentials
                        (default provider chain: env, ~/.aws, SSO...), checked before start. Costs money.
  --region <region>     AWS region (default: $AWS_REGION or us-east-1)
  --model <alias=id>    A model the caller may choose; repeat for several, the first is the default
                        (default: ${DEFAULT_MODELS.join(' ')})
  --max-tokens <n>      CHAT_MAX_TOKENS (default ${DEFAULTS.maxTokens})
  --system-prompt <s>   CHAT_SYSTEM_PROMPT (default: the built-in prompt)
  --guardrail           Send a guardrail with every model call (CHAT_GUARDRAIL_*): the emulator then intervenes
                        on a message containing [[emulator:guardrail=input]] or [[emulator:guardrail=output]]
  --guardrail-id <id>   Its id or ARN (default ${LOCAL_GUARDRAIL.id}; a real one with --real-bedrock)
  --guardrail-version <v>  Its version (default ${LOCAL_GUARDRAIL.version})
  --guardrail-mode <m>  sync (default) or async
  --rate-limit <n>      RATE_LIMIT_PER_MINUTE per caller (default ${DEFAULTS.requestsPerMinute})
  --fail-open           RATE_LIMIT_FAIL_OPEN=true (default false)
  --timeout <s>         Function timeout in seconds (default 60)
  --token-delay <ms>    Emulator delay per streamed token (default 30)

RAG mode (--mode rag):
  --knowledge-base-id <id>  KNOWLEDGE_BASE_ID (default ${LOCAL_KNOWLEDGE_BASE_ID}; a real one with --real-bedrock)
  --retrieval-results <n>   RETRIEVAL_RESULTS, passages per question (default 5)
  --min-score <0..1>        RETRIEVAL_MIN_SCORE (default 0.4)
  --fallback-answer <s>     RETRIEVAL_FALLBACK_ANSWER (default: the function's built-in out-of-scope sentence)
  --passages <file.json>    Emulator passages: [{"text": "...", "score": 0.8, "uri": "s3://..."}]
                            (default: canned passages that say they are emulator data)
  --identity-port <n>       Port of the Cognito Identity + STS stand-in (default ${LOCAL_GUEST_CREDENTIALS_PORT})
${JWT_MODE_HELP}  -h, --help            This help
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      mode: { type: 'string', default: 'iam' },
      'assume-role': { type: 'string' },
      'external-id': { type: 'string' },
      port: { type: 'string', default: String(DEFAULT_PORT) },
      stage: { type: 'string', default: DEFAULT_STAGE },
      'cors-origin': { type: 'string', multiple: true },
      'real-bedrock': { type: 'boolean', default: false },
      region: { type: 'string', default: process.env.AWS_REGION ?? 'us-east-1' },
      model: { type: 'string', multiple: true, default: DEFAULT_MODELS },
      'max-tokens': { type: 'string', default: String(DEFAULTS.maxTokens) },
      'system-prompt': { type: 'string' },
      guardrail: { type: 'boolean', default: false },
      'guardrail-id': { type: 'string', default: LOCAL_GUARDRAIL.id },
      'guardrail-version': { type: 'string', default: LOCAL_GUARDRAIL.version },
      'guardrail-mode': { type: 'string', default: 'sync' },
      'rate-limit': { type: 'string', default: String(DEFAULTS.requestsPerMinute) },
      'fail-open': { type: 'boolean', default: false },
      timeout: { type: 'string', default: '60' },
      'token-delay': { type: 'string', default: '30' },
      'knowledge-base-id': { type: 'string', default: LOCAL_KNOWLEDGE_BASE_ID },
      'retrieval-results': { type: 'string', default: String(DEFAULTS.retrievalResults) },
      'min-score': { type: 'string', default: String(DEFAULTS.retrievalMinScore) },
      'fallback-answer': { type: 'string' },
      passages: { type: 'string' },
      'identity-port': { type: 'string', default: String(LOCAL_GUEST_CREDENTIALS_PORT) },
      subject: { type: 'string', multiple: true },
      agent: { type: 'boolean', default: false },
      'agent-id': { type: 'string', default: LOCAL_AGENT_ID },
      'agent-alias-id': { type: 'string', default: LOCAL_AGENT_ALIAS_ID },
      'history-turns': { type: 'string', default: String(DEFAULTS.historyTurns) },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (!['iam', 'rag', 'jwt', 'caller-credentials', 'openai'].includes(values.mode))
    throw new UsageError(`--mode expects iam, rag, jwt, caller-credentials or openai, got "${values.mode}"`);
  const openAi = values.mode === 'openai';
  const callerCredentials = values.mode === 'caller-credentials';
  const assumeRole = values['assume-role'];
  if (values['external-id'] !== undefined && assumeRole === undefined) throw new UsageError('--external-id needs --assume-role');
  if (assumeRole !== undefined && callerCredentials)
    throw new UsageError('--assume-role and --mode caller-credentials: each request brings its own credentials');
  if (assumeRole !== undefined && !IAM_ROLE_ARN.test(assumeRole)) throw new UsageError(`--assume-role expects a role ARN, got "${assumeRole}"`);
  const rag = values.mode === 'rag';
  if (values.guardrail && values.mode === 'jwt' && values.agent) {
    throw new UsageError('--guardrail: an agent applies the guardrail configured on the agent itself; leave out --guardrail or --agent');
  }
  const port = integerOption('--port', values.port, 0);
  const identityPort = integerOption('--identity-port', values['identity-port'], 0);
  const timeoutSeconds = integerOption('--timeout', values.timeout, 3);
  const tokenDelayMs = integerOption('--token-delay', values['token-delay'], 0);
  const rateLimit = integerOption('--rate-limit', values['rate-limit'], 1);
  const passages = rag && values.passages !== undefined ? readPassagesFile(values.passages) : undefined;
  const models = Object.fromEntries(
    values.model.map((spec) => {
      const at = spec.indexOf('=');
      if (at <= 0 || at === spec.length - 1) throw new UsageError(`--model expects alias=modelId, got "${spec}"`);
      return [spec.slice(0, at), spec.slice(at + 1)];
    }),
  );
  const corsOrigins = values['cors-origin'] ?? usage(() => stageCorsOrigins(values.stage));
  // The JWT mode is the stored chats behind a bearer token; the IAM and RAG modes take the caller's turns, signed.
  const cors =
    values.mode === 'jwt'
      ? functionUrlCors('jwt', 'storedChats', corsOrigins)
      : openAi
        ? functionUrlCors('jwt', 'completions', corsOrigins)
        : functionUrlCors('iam', 'callerTurns', corsOrigins);
  const nodeNote = oldNodeNote();
  // Before anything starts: a missing profile is one clear message, not a 500 on the first chat.
  if (values['real-bedrock']) await checkAwsCredentials(values.region);

  const running = new Running();
  stopOnSignals(running);
  // Endpoints the user set (AWS_ENDPOINT_URL_*) are used as they are: nothing local is started for them.
  const presetDynamo = presetEndpoint('DYNAMODB');
  const dynalite = presetDynamo ? undefined : running.add(await startDynalite());
  const dynamoUrl = dynalite ? dynalite.url : String(presetDynamo);
  const bedrockServices: PresetService[] =
    values.mode === 'rag'
      ? ['BEDROCK_RUNTIME', 'BEDROCK_AGENT_RUNTIME']
      : values.mode === 'jwt' && values.agent
        ? ['BEDROCK_AGENT_RUNTIME']
        : ['BEDROCK_RUNTIME'];
  const presetBedrock = bedrockServices.filter((service) => presetEndpoint(service) !== undefined);
  const emulator: BedrockEmulator | undefined =
    values['real-bedrock'] || presetBedrock.length === bedrockServices.length
      ? undefined
      : running.add(
          await startBedrockEmulator({
            port: 0,
            tokenDelayMs,
            log: (line) => console.log(line),
            ...(rag ? { answer: ragEmulatorAnswer, ...(passages ? { passages: { '*': passages } } : {}) } : {}),
            ...localPrincipals(callerCredentials, assumeRole, values['external-id']),
          }),
        );
  const presetIdentity = presetEndpoint('COGNITO_IDENTITY');
  const presetSts = presetEndpoint('STS');
  const guestCredentials =
    rag && !(presetIdentity && presetSts)
      ? running.add(
          await listening('--identity-port', identityPort, () =>
            startGuestCredentialsEmulator({ port: identityPort, log: (line) => console.log(line) }),
          ),
        )
      : undefined;

  if (emulator) {
    // Local-only credentials: nothing real is ever used or sent while the emulator answers.
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'LOCALEMULATORKEY', AWS_SECRET_ACCESS_KEY: 'local-emulator-secret' });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    if (!presetBedrock.includes('BEDROCK_RUNTIME')) process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME = emulator.url;
    if (rag && !presetBedrock.includes('BEDROCK_AGENT_RUNTIME')) process.env.AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME = emulator.url;
    if (assumeRole !== undefined && !presetSts) process.env.AWS_ENDPOINT_URL_STS = emulator.url;
  } else if (!values['real-bedrock'] && !process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE) {
    // Every Bedrock endpoint is preset and no credentials are configured: sign with local placeholders.
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'LOCALEMULATORKEY', AWS_SECRET_ACCESS_KEY: 'local-emulator-secret' });
  }
  // The environment the construct sets (the JWT mode adds its own below), plus the local DynamoDB endpoint.
  Object.assign(process.env, {
    [ENV.region]: values.region,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl,
    [ENV.models]: JSON.stringify(models),
    [ENV.maxTokens]: values['max-tokens'],
    [ENV.rateLimitTable]: TABLE_NAME,
    [ENV.rateLimitPerMinute]: String(rateLimit),
    [ENV.rateLimitFailOpen]: String(values['fail-open']),
    [ENV.rateLimitNamespace]: `local-${values.mode}`,
    [ENV.authMode]: AUTH_MODES.iam,
    ...(callerCredentials ? { [ENV.bedrockAccess]: BEDROCK_ACCESS_MODES.callerCredentials, [ENV.bedrockAllowedRegions]: values.region } : {}),
    ...(assumeRole !== undefined
      ? {
          [ENV.bedrockAccess]: BEDROCK_ACCESS_MODES.assumeRole,
          [ENV.bedrockRoleArn]: assumeRole,
          ...(values['external-id'] !== undefined ? { [ENV.bedrockExternalId]: values['external-id'] } : {}),
        }
      : {}),
    ...(values['system-prompt'] !== undefined ? { [ENV.systemPrompt]: values['system-prompt'] } : {}),
    ...(values.guardrail
      ? {
          [ENV.guardrailId]: values['guardrail-id'],
          [ENV.guardrailVersion]: values['guardrail-version'],
          [ENV.guardrailStreamMode]: values['guardrail-mode'],
        }
      : {}),
    ...(rag
      ? retrievalEnvironment({
          knowledgeBaseId: values['knowledge-base-id'],
          numberOfResults: values['retrieval-results'],
          minScore: values['min-score'],
          ...(values['fallback-answer'] !== undefined ? { fallbackAnswer: values['fallback-answer'] } : {}),
        })
      : {}),
  });

  // dynalite accepts any signature; these credentials only sign requests to 127.0.0.1.
  const admin = new DynamoDBClient({
    endpoint: dynamoUrl,
    region: values.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await ignoreExistingTable(createRateLimitTable(admin, TABLE_NAME));
  const openAiMode = openAi ? await startOpenAiMode(admin) : undefined;
  admin.destroy();
  if (openAiMode) Object.assign(process.env, openAiMode.environment);
  const jwt =
    values.mode === 'jwt'
      ? running.add(
          await usageAsync(() =>
            startJwtMode({
              agent: values.agent,
              region: values.region,
              dynamoEndpoint: dynamoUrl,
              ...(emulator && !presetBedrock.includes('BEDROCK_AGENT_RUNTIME') ? { emulatorUrl: emulator.url } : {}),
              agentId: values['agent-id'],
              agentAliasId: values['agent-alias-id'],
              historyTurns: values['history-turns'],
              ...(values.subject ? { subjects: values.subject } : {}),
            }),
          ),
        )
      : undefined;
  if (jwt) Object.assign(process.env, jwt.environment);

  installAwsLambdaGlobal();
  echoMetrics();
  const { handler } = jwt
    ? await import(jwt.entry === 'stored-agent-chat' ? '../../lambdas/chat/entry/stored-agent-chat' : '../../lambdas/chat/entry/stored-model-chat')
    : rag
      ? await import('../../lambdas/chat/entry/rag-chat')
      : openAi
        ? await import('../../lambdas/chat/entry/completions')
        : await import('../../lambdas/chat/entry/model-chat');
  // The chat page at the root of the same origin, configured for this mode's local servers.
  // RAG mode: the stand-in started unless both were preset.
  const identityEndpoint = presetIdentity ?? guestCredentials?.url ?? '';
  const stsEndpoint = presetSts ?? guestCredentials?.url ?? '';
  let pageUrl = '';
  // The page speaks the chat's own API, not OpenAI's: the openai mode serves no page.
  const page = openAi
    ? undefined
    : localPage({
        config: {
          title: 'Chat (local)',
          backends: [
            localBackend(values.mode as 'iam' | 'rag' | 'jwt' | 'caller-credentials', {
              models: values.mode === 'jwt' && values.agent ? [] : Object.keys(models),
              region: values.region,
              ...(rag
                ? { guest: { identityPoolId: LOCAL_IDENTITY_POOL_ID, guestRoleArn: LOCAL_GUEST_ROLE_ARN, endpoint: identityEndpoint, stsEndpoint } }
                : {}),
              ...(jwt ? { jwt: { clientId: jwt.issuer.audience } } : {}),
            }),
          ],
        },
        connectSources: rag ? [originOf(identityEndpoint), originOf(stsEndpoint)] : [],
        ...(jwt
          ? {
              routes: signInStandIn({
                clientId: jwt.issuer.audience,
                redirectUris: () => [pageUrl, pageUrl.replace('127.0.0.1', 'localhost')],
                signToken: jwt.signToken,
                signIdToken: jwt.signIdToken,
              }),
            }
          : {}),
      });
  // JWT mode: a Function URL with auth NONE (no authorizer in the events); the function verifies the token.
  const server: FunctionUrlServer = running.add(
    await listening('--port', port, () =>
      startFunctionUrlServer({
        handler,
        port,
        identity: jwt || openAi ? null : LOCAL_IAM_IDENTITY,
        timeoutMs: timeoutSeconds * 1000,
        ...(cors ? { cors } : {}),
        ...(jwt ? { signToken: jwt.signToken } : {}),
        ...(page ? { intercept: page } : {}),
      }),
    ),
  );

  pageUrl = server.url;
  const url = server.url;
  const mode = jwt
    ? "signed-in users' chat with stored history (JWT)"
    : openAi
      ? 'OpenAI-compatible API (API keys)'
      : rag
        ? 'guest RAG chatbot (IAM, knowledge base)'
        : callerCredentials
          ? "streaming chat on the caller's own AWS credentials"
          : 'streaming chat (IAM)';
  const common = [
    `Chat function listening on ${url}: the ${mode}`,
    line(
      'Bedrock',
      (emulator
        ? `EMULATOR at ${emulator.url} (canned answers, no model is called)`
        : values['real-bedrock']
          ? `Amazon Bedrock in ${values.region} (your credentials; costs money)`
          : 'your endpoints') + presetBedrock.map((service) => `; AWS_ENDPOINT_URL_${service}=${presetEndpoint(service)}`).join(''),
    ),
    ...(jwt?.entry === 'stored-agent-chat'
      ? []
      : [
          line(
            'Models',
            `${Object.entries(models)
              .map(([alias, id]) => `${alias} → ${id}`)
              .join(', ')} (default ${Object.keys(models)[0]})`,
          ),
        ]),
    line('DynamoDB', `${dynalite ? 'dynalite' : 'your endpoint (AWS_ENDPOINT_URL_DYNAMODB)'} at ${dynamoUrl}`),
    ...(callerCredentials
      ? [
          line(
            'Credentials',
            `each request's own (awsCredentials, region ${values.region}); ${emulator ? `the emulator accepts only ${LOCAL_CALLER_KEY.accessKeyId} / ${LOCAL_CALLER_KEY.secretAccessKey}: type them into the page` : 'real ones for --real-bedrock'}`,
          ),
        ]
      : []),
    ...(assumeRole !== undefined
      ? [
          line(
            'Bedrock as',
            `${assumeRole}${values['external-id'] !== undefined ? ` (external id ${values['external-id']})` : ''}, through STS AssumeRole${emulator ? ' (emulated)' : ''}`,
          ),
        ]
      : []),
    line(
      'Rate limit',
      `${rateLimit} requests/minute per caller, then 429; ${values['fail-open'] ? 'fails open' : 'fails closed (503)'} when its table` +
        ` (${TABLE_NAME}) is down`,
    ),
    line(
      'CORS',
      cors
        ? `preflights answered as the Function URL would, for ${cors.allowOrigins.join(', ')}${values['cors-origin'] ? '' : ` (stage ${values.stage})`}: ` +
            `${cors.allowMethods.join(', ')}`
        : `none: stage ${values.stage} allows no browser origin (--cors-origin <origin> to add one)`,
    ),
    ...(values.guardrail
      ? [
          line(
            'Guardrail',
            `${values['guardrail-id']} version ${values['guardrail-version']} (${values['guardrail-mode']}) on every model call` +
              (emulator ? '; add [[emulator:guardrail=input]] or [[emulator:guardrail=output]] to a message to see an intervention' : ''),
          ),
        ]
      : []),
    line(
      'Metrics',
      `each request's summary line is the EMF document Lambda would ship (namespace ${METRICS_NAMESPACE}), then what CloudWatch reads from it`,
    ),
    ...(nodeNote ? [line('Node', nodeNote)] : []),
  ].join('\n');
  if (jwt) console.log(`\n${common}\n${jwt.banner(url)}`);
  else if (openAiMode) {
    console.log(`\n${common}\n${openAiMode.banner(url, dynamoUrl, values.region, Object.keys(models)[0] ?? '')}\n`);
    return;
  } else {
    const ragLines = guestCredentials
      ? `
${line('Knowledge', `${values['knowledge-base-id']}, ${values['retrieval-results']} passages per question, minimum score ${values['min-score']}, ${emulator ? `EMULATOR (${values.passages ? `passages from ${values.passages}` : 'canned passages'})` : 'Amazon Bedrock'}`)}
${line('Guests', `Cognito Identity + STS stand-in at ${guestCredentials.url}: FAKE guest credentials${presetIdentity || presetSts ? ` (preset: ${[presetIdentity, presetSts].filter(Boolean).join(', ')})` : ''}`)}
              (pool ${LOCAL_IDENTITY_POOL_ID}, role ${LOCAL_GUEST_ROLE_ARN})

Try the signed client:
  npm run client --${port === DEFAULT_PORT ? '' : ` --url ${url}`}${guestCredentials.port === LOCAL_GUEST_CREDENTIALS_PORT ? '' : ` --identity-endpoint ${guestCredentials.url}`} "When is support open?"`
      : '';
    console.log(`
${common}
${line('Identity', `no SigV4 verification locally; every request is "${LOCAL_IAM_IDENTITY.userArn}"`)}
              unless it sends ${CALLER_HEADER}: <name> (a separate caller per name, e.g. to test the rate limit)${ragLines}

Try:
  curl -N ${url} -H 'content-type: application/json' -d '{"message":"What is AWS CDK?"}'
  curl -N ${url} -H 'content-type: application/json' -H 'accept: text/event-stream' \\
       -d '{"message":"And Lambda?","history":[{"role":"user","content":"What is AWS CDK?"},{"role":"assistant","content":"An IaC framework."}],"model":"${Object.keys(models).at(-1)}"}'
`);
  }
  console.log(`Chat page: ${url}  (open it in a browser: the page and the chat share this origin)\n`);
}

/** A banner line: the label in a fixed-width column. */
function line(label: string, text: string): string {
  return `  ${`${label}:`.padEnd(12)}${text}`;
}

interface Closable {
  close(): Promise<void>;
}

/** What has been started, closed in reverse order on a signal or a failed start. */
class Running {
  private readonly started: Closable[] = [];
  private stopping: Promise<void> | undefined;

  add<T extends Closable>(closable: T): T {
    this.started.push(closable);
    return closable;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const closable of [...this.started].reverse()) await closable.close().catch(() => undefined);
    })();
    return this.stopping;
  }
}

/**
 * SIGINT and SIGTERM stop every server, then the process exits 0. A terminal's Ctrl-C reaches this process
 * twice (from the terminal and forwarded by npm): a repeat within a second is that echo; a later one forces exit.
 */
function stopOnSignals(running: Running): void {
  let firstAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (firstAt !== undefined) {
      if (Date.now() - firstAt > 1000) process.exit(signal === 'SIGINT' ? 130 : 143);
      return;
    }
    firstAt = Date.now();
    console.log(`\n${signal}: stopping…`);
    // An answer still streaming is given a few seconds to finish, not the whole function timeout.
    setTimeout(() => process.exit(0), 5000).unref();
    void running.stop().then(() => {
      console.log('Stopped.');
      process.exit(0);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

class UsageError extends Error {}

/** Starts a server on `port`; a port in use becomes a message naming the flag that picks another. */
async function listening<T>(flag: string, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE') {
      throw new StartError(
        `Port ${port} on 127.0.0.1 is already in use (another npm run local?). Pick another with ${flag} <n>, e.g. ${flag} ${port + 10}, or 0 for any free port.`,
      );
    }
    throw error;
  }
}

/** A failure to start that needs no help text, only its message. */
class StartError extends Error {}

function usage<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw error instanceof RangeError ? new UsageError(error.message) : error;
  }
}

async function usageAsync<T>(start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    throw error instanceof RangeError ? new UsageError(error.message) : error;
  }
}

function integerOption(name: string, raw: string, min: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new UsageError(`${name} expects an integer >= ${min}, got "${raw}"`);
  return value;
}

main().catch((error: unknown) => {
  if (error instanceof UsageError || (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
    console.error(`${error.message}\n\n${HELP}`);
  } else if (error instanceof MissingCredentialsError || error instanceof StartError) {
    console.error(error.message);
  } else {
    console.error(error);
  }
  process.exit(1);
});

/** The local caller key `--mode caller-credentials` accepts (printed in the banner; it signs only local requests). */
export const LOCAL_CALLER_KEY = { accessKeyId: 'AKIALOCALCALLER00001', secretAccessKey: 'localCallerSecretKey/000000000000000001' };
/** The key the local function signs with (see main): it may call STS, nothing else, when Bedrock is reached some other way. */
const LOCAL_FUNCTION_KEY = { accessKeyId: 'LOCALEMULATORKEY', secretAccessKey: 'local-emulator-secret' };

/**
 * With caller credentials or an assumed role, the emulator verifies every signature: the function's own key may not
 * call Bedrock, so an answer proves the request was signed with the caller's key or the role's credentials.
 */
function localPrincipals(callerCredentials: boolean, roleArn: string | undefined, externalId: string | undefined) {
  if (!callerCredentials && roleArn === undefined) return {};
  const functionArn = `arn:aws:iam::000000000000:user/${LOCAL_FUNCTION_KEY.accessKeyId}`;
  return {
    principals: [{ ...LOCAL_FUNCTION_KEY, arn: functionArn, allowedActions: ['sts:AssumeRole'] }, ...(callerCredentials ? [LOCAL_CALLER_KEY] : [])],
    roles: roleArn === undefined ? [] : [{ roleArn, trustedPrincipals: [functionArn], ...(externalId !== undefined ? { externalId } : {}) }],
  };
}
