/**
 * `npm run local` honours endpoints the user already set: when `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`,
 * `AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME`, `AWS_ENDPOINT_URL_DYNAMODB` or `AWS_ENDPOINT_URL_STS` is set,
 * the function talks to that endpoint and the CLI does not start its own emulator, dynalite or STS
 * stand-in for it (so the page and the chat can be tried against any endpoint the user points them at).
 */

export type PresetService = 'BEDROCK_RUNTIME' | 'BEDROCK_AGENT_RUNTIME' | 'DYNAMODB' | 'STS' | 'COGNITO_IDENTITY';

/** The endpoint the user set for `service` (`AWS_ENDPOINT_URL_<service>`), if any. */
export function presetEndpoint(service: PresetService, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[`AWS_ENDPOINT_URL_${service}`]?.trim();
  return value ? value : undefined;
}

/** Creating a table that a preset DynamoDB endpoint already has is fine: it was made by an earlier run. */
export async function ignoreExistingTable(creating: Promise<void>): Promise<void> {
  try {
    await creating;
  } catch (error) {
    if ((error as Error).name !== 'ResourceInUseException') throw error;
  }
}
