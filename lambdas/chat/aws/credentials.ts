/**
 * Where a client's credentials come from when none are given: the environment, which Lambda always sets for the
 * function's role (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), read once, as the SDK's
 * default chain reads it first and keeps it. Without them (a developer's machine with a profile), the SDK's default
 * chain is loaded on first use and asked instead; a function never loads it.
 */
import type { AwsCredentialIdentity } from './signing';

export type CredentialSource = () => Promise<AwsCredentialIdentity>;

export function staticCredentials(credentials: AwsCredentialIdentity): CredentialSource {
  const value = Promise.resolve(credentials);
  return () => value;
}

let fromEnvironment: Promise<AwsCredentialIdentity> | undefined;

/** The function role's credentials (environment first, then the SDK's default chain), resolved once per process. */
export const defaultCredentials: CredentialSource = () => {
  fromEnvironment ??= resolveDefault().catch((error: unknown) => {
    fromEnvironment = undefined;
    throw error;
  });
  return fromEnvironment;
};

async function resolveDefault(): Promise<AwsCredentialIdentity> {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = process.env;
  if (accessKeyId && secretAccessKey) return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  const chain = defaultProvider();
  const resolved = await chain();
  const expiration = resolved.expiration?.getTime();
  // Expiring credentials (a profile's SSO or assumed role): asked again for each call, the chain caches them.
  if (expiration !== undefined) fromEnvironment = undefined;
  return resolved;
}
