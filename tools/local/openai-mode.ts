/**
 * The pieces `npm run local -- --mode openai` adds (cli.ts): the completions function (the OpenAI-compatible API)
 * behind a public Function URL, an API key table in the embedded DynamoDB with one new key in it, and the banner
 * lines that show how to call it with curl and with the official `openai` client.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AUTH_MODES, ENV } from '../../contract';
import { createKey } from '../keys/api-keys';
import { createApiKeyTable } from './dynamo';
import { ignoreExistingTable } from './preset-endpoints';

/** The local API key table (`npm run keys -- … --table local-api-keys` with the banner's AWS_ENDPOINT_URL_DYNAMODB). */
export const LOCAL_API_KEY_TABLE = 'local-api-keys';

export interface OpenAiMode {
  /** The variables `ChatAuth.apiKeys` sets. */
  readonly environment: Record<string, string>;
  /** The key created for this run (a new one every start; only its SHA-256 is in the table). */
  readonly key: string;
  /** The banner's lines for the server at `url` (ending in `/`). */
  banner(url: string, dynamoUrl: string, region: string, model: string): string;
}

/** Creates the key table (kept when a preset endpoint has it already) and a key named `local-<time>`. */
export async function startOpenAiMode(admin: DynamoDBClient): Promise<OpenAiMode> {
  await ignoreExistingTable(createApiKeyTable(admin, LOCAL_API_KEY_TABLE));
  const name = `local-${new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}`;
  const key = await createKey(admin, LOCAL_API_KEY_TABLE, { name, owner: 'npm run local' });
  return {
    environment: { [ENV.authMode]: AUTH_MODES.apiKey, [ENV.apiKeyTable]: LOCAL_API_KEY_TABLE },
    key,
    banner: (url, dynamoUrl, region, model) => {
      const baseUrl = `${url}v1`;
      return `
  Base URL:   ${baseUrl}
  API key:    ${key}
              ('${name}' in ${LOCAL_API_KEY_TABLE}; a new key every start)

Try:
  curl -N ${baseUrl}/chat/completions -H 'authorization: Bearer ${key}' -H 'content-type: application/json' \\
       -d '{"model":"${model}","stream":true,"messages":[{"role":"user","content":"What is AWS CDK?"}]}'
  curl -s ${baseUrl}/models -H 'authorization: Bearer ${key}'

With the official openai client (it reads these two variables):
  export OPENAI_BASE_URL=${baseUrl}
  export OPENAI_API_KEY=${key}
  node -e 'const OpenAI = require("openai"); new OpenAI().chat.completions.create({ model: "${model}", messages: [{ role: "user", content: "Hello" }] }).then((c) => console.log(c.choices[0].message.content))'

More keys, against this run's DynamoDB:
  AWS_ENDPOINT_URL_DYNAMODB=${dynamoUrl} AWS_REGION=${region} AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \\
    npm run keys -- create --table ${LOCAL_API_KEY_TABLE} --name my-tool --tokens-per-day 100000`;
    },
  };
}
