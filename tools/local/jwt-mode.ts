/**
 * `npm run local -- --mode jwt [--agent]`: the JWT-authenticated chat with history (entry/stored-model-chat.ts, or
 * entry/stored-agent-chat.ts with `--agent`) with what it needs locally: a token issuer (an RSA key pair generated
 * at start, its JWKS on 127.0.0.1, a signed token printed for each `--subject`), the history table in dynalite,
 * and the environment the construct sets (`JWT_*`, `HISTORY_*`, `AGENT_*`).
 *
 * To act as several users: `--subject alice --subject bob` prints a token for each, and any request may send
 * `x-local-jwt-subject: <sub>` instead of a token: the local server signs one for that subject (SUBJECT_HEADER).
 *
 * The Function URL of this mode has auth type NONE: the local server sends events without an authorizer,
 * and the function verifies the token itself, exactly as deployed.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AUTH_MODES, ENV, LIMITS } from '../../contract';
import { createHistoryTable } from './dynamo';
import { SUBJECT_HEADER } from './function-url-server';
import { type LocalJwtIssuer, startLocalJwtIssuer } from './jwt-issuer';
import { ignoreExistingTable } from './preset-endpoints';

export const HISTORY_TABLE_NAME = 'local-chat-history';
/** Agent ids the emulator accepts (any `[0-9a-zA-Z]{1,10}`); `TSTALIASID` is the draft alias of every agent. */
export const LOCAL_AGENT_ID = 'LOCALAGENT';
export const LOCAL_AGENT_ALIAS_ID = 'TSTALIASID';
export const LOCAL_SUBJECT = 'local-user';

export const JWT_MODE_HELP = `
JWT mode (--mode jwt):
  --subject <sub>           Print a token for this user; repeat for several (default ${LOCAL_SUBJECT}).
                            Any request may also send ${SUBJECT_HEADER}: <sub> instead of a token.
  --agent                   Answer with a Bedrock Agent (InvokeAgent) instead of a model
  --agent-id <id>           AGENT_ID (default ${LOCAL_AGENT_ID}; a real agent with --real-bedrock)
  --agent-alias-id <id>     AGENT_ALIAS_ID (default ${LOCAL_AGENT_ALIAS_ID})
  --history-turns <n>       HISTORY_TURNS, stored turns sent back to the model (default 10)
`;

/** How long printed and header-minted tokens stay valid. */
const TOKEN_LIFETIME_SECONDS = 3600;

export interface JwtModeOptions {
  readonly agent: boolean;
  readonly region: string;
  readonly dynamoEndpoint: string;
  /** The Bedrock emulator, if it answers (else real Bedrock). */
  readonly emulatorUrl?: string;
  readonly agentId: string;
  readonly agentAliasId: string;
  readonly historyTurns: string;
  /** Users to print a token for. @default [LOCAL_SUBJECT] */
  readonly subjects?: readonly string[];
}

export interface JwtMode {
  /** The local token issuer (the page's sign-in stand-in signs with it). */
  readonly issuer: LocalJwtIssuer;
  /** The entry module to load. */
  readonly entry: 'stored-model-chat' | 'stored-agent-chat';
  /** Variables to add to the function's environment. */
  readonly environment: Record<string, string>;
  /** An access token for `subject`, signed by the local issuer (printed, and for the server's {@link SUBJECT_HEADER}). */
  signToken(subject: string): Promise<string>;
  /** An ID token for `subject` (the sign-in stand-in returns it beside the access token; the chat refuses it). */
  signIdToken(subject: string): Promise<string>;
  /** What to print, after the common lines, once the server listens at `url`. */
  banner(url: string): string;
  close(): Promise<void>;
}

export async function startJwtMode(options: JwtModeOptions): Promise<JwtMode> {
  const subjects = options.subjects ?? [LOCAL_SUBJECT];
  const bad = subjects.find((s) => s.trim() === '' || s.length > LIMITS.maxSubjectLength);
  if (bad !== undefined) throw new RangeError(`--subject expects 1 to ${LIMITS.maxSubjectLength} characters, got "${bad}"`);
  const issuer = await startLocalJwtIssuer();
  // dynalite accepts any signature; these credentials only sign requests to 127.0.0.1.
  const admin = new DynamoDBClient({
    endpoint: options.dynamoEndpoint,
    region: options.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await ignoreExistingTable(createHistoryTable(admin, HISTORY_TABLE_NAME));
  admin.destroy();
  // Tokens shaped as a stage's user pool issues them, and verified as the stage verifies them (access tokens only):
  // an access token names its app client in `client_id` and has no `aud` or profile claims; an ID token the reverse.
  const signToken = (subject: string): Promise<string> =>
    issuer.sign(
      { sub: subject, token_use: 'access', client_id: issuer.audience, scope: 'openid' },
      { omit: ['aud'], expiresInSeconds: TOKEN_LIFETIME_SECONDS },
    );
  const signIdToken = (subject: string): Promise<string> =>
    issuer.sign({ sub: subject, token_use: 'id', email: `${subject}@example.com` }, { expiresInSeconds: TOKEN_LIFETIME_SECONDS });
  const variables = tokenVariables(subjects);
  const tokens = await Promise.all(subjects.map(async (subject, i) => ({ subject, variable: variables[i], token: await signToken(subject) })));

  return {
    issuer,
    entry: options.agent ? 'stored-agent-chat' : 'stored-model-chat',
    environment: {
      [ENV.authMode]: AUTH_MODES.jwt,
      [ENV.historyTable]: HISTORY_TABLE_NAME,
      [ENV.historyTurns]: options.historyTurns,
      [ENV.jwtIssuer]: issuer.issuer,
      [ENV.jwtAudience]: issuer.audience,
      [ENV.jwtJwksUri]: issuer.jwksUri,
      [ENV.jwtAlgorithms]: 'RS256',
      [ENV.jwtRequiredClaims]: '',
      [ENV.jwtClockSkewSeconds]: '30',
      [ENV.jwtCognitoTokenUse]: 'access',
      ...(options.agent ? { [ENV.agentId]: options.agentId, [ENV.agentAliasId]: options.agentAliasId } : {}),
      ...(options.agent && options.emulatorUrl ? { AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME: options.emulatorUrl } : {}),
    },
    signToken,
    signIdToken,
    banner: (url) => {
      const base = url.replace(/\/$/, '');
      const auth = `-H "authorization: Bearer $${tokens[0].variable}"`;
      const other = subjects.includes('someone-else') ? 'another-user' : 'someone-else';
      return `  Backend:    ${options.agent ? `agent ${options.agentId}/${options.agentAliasId} (InvokeAgent)` : 'models (ConverseStream)'}
  Tokens:     access tokens as Cognito issues them (token_use access, client_id ${issuer.audience}); issuer ${issuer.issuer}, JWKS ${issuer.jwksUri}
              (an RSA key generated at start; tokens signed by anyone else are refused)
  History:    table ${HISTORY_TABLE_NAME} at ${options.dynamoEndpoint}, ${options.historyTurns} turns sent back
  Users:      one token per --subject below (valid 1 h); or send ${SUBJECT_HEADER}: <sub> to act as anyone

${tokens.map((t) => `# sub "${t.subject}"\nexport ${t.variable}=${t.token}`).join('\n')}

Try:
  curl -s ${base}/chat ${auth} -H 'content-type: application/json' -d '{"prompt":"What is AWS CDK?"}'
  curl -N ${base}/chat ${auth} -H 'content-type: application/json' -H 'accept: text/event-stream' \\
       -d '{"prompt":"And Lambda?","chat_id":"<id from the first answer>"}'
  curl -s "${base}/chats?limit=20" ${auth}
  curl -s ${base}/chats/<id> ${auth}
  curl -s -X DELETE ${base}/chats/<id> ${auth} -o /dev/null -w '%{http_code}\\n'
  curl -s ${base}/chats -H '${SUBJECT_HEADER}: ${other}'   # another user: their own (empty) list
  curl -s ${base}/chats            # no token: 401 with WWW-Authenticate
`;
    },
    close: () => issuer.close(),
  };
}

/** Shell variables for the printed tokens: `TOKEN` for the first subject (the examples use it), `TOKEN_<SUBJECT>` after. */
function tokenVariables(subjects: readonly string[]): string[] {
  const taken = new Set<string>();
  return subjects.map((subject, index) => {
    const suffix = subject
      .toUpperCase()
      .replace(/[^A-Z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '');
    let name = index === 0 ? 'TOKEN' : `TOKEN_${suffix || index + 1}`;
    if (taken.has(name)) name = `${name}_${index + 1}`;
    taken.add(name);
    return name;
  });
}
