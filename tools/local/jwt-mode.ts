/**
 * `npm run local -- --mode jwt [--agent]`: the JWT-authenticated chat with history (entry/stored-model-chat.ts, or
 * entry/stored-agent-chat.ts with `--agent`) with what it needs locally: a token issuer (an RSA key pair generated
 * at start, its JWKS on 127.0.0.1, a signed token printed ready to use), the history table in dynalite, and
 * the environment the construct sets (`JWT_*`, `HISTORY_*`, `AGENT_*`).
 *
 * The Function URL of this mode has auth type NONE: the local server sends events without an authorizer,
 * and the function verifies the token itself, exactly as deployed.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createHistoryTable } from './dynamo';
import { type LocalJwtIssuer, startLocalJwtIssuer } from './jwt-issuer';
import { ignoreExistingTable } from './preset-endpoints';

export const HISTORY_TABLE_NAME = 'local-chat-history';
/** Agent ids the emulator accepts (any `[0-9a-zA-Z]{1,10}`); `TSTALIASID` is the draft alias of every agent. */
export const LOCAL_AGENT_ID = 'LOCALAGENT';
export const LOCAL_AGENT_ALIAS_ID = 'TSTALIASID';
export const LOCAL_SUBJECT = 'local-user';

export const JWT_MODE_HELP = `
JWT mode (--mode jwt):
  --agent                   Answer with a Bedrock Agent (InvokeAgent) instead of a model
  --agent-id <id>           AGENT_ID (default ${LOCAL_AGENT_ID}; a real agent with --real-bedrock)
  --agent-alias-id <id>     AGENT_ALIAS_ID (default ${LOCAL_AGENT_ALIAS_ID})
  --history-turns <n>       HISTORY_TURNS, stored turns sent back to the model (default 10)
`;

export interface JwtModeOptions {
  readonly agent: boolean;
  readonly region: string;
  readonly dynamoEndpoint: string;
  /** The Bedrock emulator, if it answers (else real Bedrock). */
  readonly emulatorUrl?: string;
  readonly agentId: string;
  readonly agentAliasId: string;
  readonly historyTurns: string;
}

export interface JwtMode {
  /** The local token issuer (the page's sign-in stand-in signs with it). */
  readonly issuer: LocalJwtIssuer;
  /** The entry module to load. */
  readonly entry: 'stored-model-chat' | 'stored-agent-chat';
  /** Variables to add to the function's environment. */
  readonly environment: Record<string, string>;
  /** What to print once the server listens at `url`. */
  banner(url: string): string;
  close(): Promise<void>;
}

export async function startJwtMode(options: JwtModeOptions): Promise<JwtMode> {
  const issuer = await startLocalJwtIssuer();
  // dynalite accepts any signature; these credentials only sign requests to 127.0.0.1.
  const admin = new DynamoDBClient({
    endpoint: options.dynamoEndpoint,
    region: options.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await ignoreExistingTable(createHistoryTable(admin, HISTORY_TABLE_NAME));
  admin.destroy();
  const token = await issuer.sign({ sub: LOCAL_SUBJECT, email: `${LOCAL_SUBJECT}@example.com` }, { expiresInSeconds: 3600 });

  return {
    issuer,
    entry: options.agent ? 'stored-agent-chat' : 'stored-model-chat',
    environment: {
      CHAT_AUTH_MODE: 'jwt',
      HISTORY_TABLE_NAME,
      HISTORY_TURNS: options.historyTurns,
      JWT_ISSUER: issuer.issuer,
      JWT_AUDIENCE: issuer.audience,
      JWT_JWKS_URI: issuer.jwksUri,
      JWT_ALGORITHMS: 'RS256',
      JWT_REQUIRED_CLAIMS: 'email',
      JWT_CLOCK_SKEW_SECONDS: '30',
      ...(options.agent ? { AGENT_ID: options.agentId, AGENT_ALIAS_ID: options.agentAliasId } : {}),
      ...(options.agent && options.emulatorUrl ? { AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME: options.emulatorUrl } : {}),
    },
    banner: (url) => {
      const base = url.replace(/\/$/, '');
      const auth = `-H "authorization: Bearer $TOKEN"`;
      return `
JWT chat function listening on ${base} (${options.agent ? `agent ${options.agentId}/${options.agentAliasId}` : 'model'} backend)
  Tokens:    issuer ${issuer.issuer}, audience ${issuer.audience}, JWKS ${issuer.jwksUri}
             (an RSA key generated at start; tokens signed by anyone else are refused)
  History:   dynalite at ${options.dynamoEndpoint}, table ${HISTORY_TABLE_NAME}, ${options.historyTurns} turns sent back

A token for sub "${LOCAL_SUBJECT}" (valid 1 h):
  export TOKEN=${token}

Try:
  curl -s ${base}/chat ${auth} -H 'content-type: application/json' -d '{"prompt":"What is AWS CDK?"}'
  curl -N ${base}/chat ${auth} -H 'content-type: application/json' -H 'accept: text/event-stream' \\
       -d '{"prompt":"And Lambda?","chat_id":"<id from the first answer>"}'
  curl -s "${base}/chats?limit=20" ${auth}
  curl -s ${base}/chats/<id> ${auth}
  curl -s -X DELETE ${base}/chats/<id> ${auth} -o /dev/null -w '%{http_code}\\n'
  curl -s ${base}/chats            # no token: 401 with WWW-Authenticate
`;
    },
    close: () => issuer.close(),
  };
}
