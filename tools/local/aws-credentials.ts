/**
 * `--real-bedrock` calls Amazon Bedrock with the caller's own credentials. Checked before anything starts, so a
 * missing profile is reported once, plainly, instead of as a 500 on the first chat request.
 */
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';

export class MissingCredentialsError extends Error {}

/** Resolves credentials through the SDK's default provider chain (what the chat function's clients will use). */
export async function checkAwsCredentials(region: string, timeoutMs = 15_000): Promise<void> {
  const client = new BedrockRuntimeClient({ region });
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from the credential providers in ${timeoutMs / 1000} s`)), timeoutMs);
    });
    await Promise.race([client.config.credentials(), timeout]);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new MissingCredentialsError(
      `--real-bedrock needs AWS credentials, and none were found (${reason}).\n` +
        'Looked in: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the default profile in ~/.aws (SSO included), ' +
        'web identity, container and instance roles.\n' +
        'Fix: `aws configure` or `aws sso login --profile <p>` then AWS_PROFILE=<p>; or leave out --real-bedrock to use the emulator.',
    );
  } finally {
    clearTimeout(timer);
    client.destroy();
  }
}
