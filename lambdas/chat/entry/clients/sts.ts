/**
 * STS `AssumeRole` for an assumed-role deployment. The STS client is loaded on first use only, so functions that
 * call Bedrock with their own role never evaluate it; the endpoint comes from the SDK's own `AWS_ENDPOINT_URL_STS`
 * variable (local runs and tests), else the regional STS endpoint.
 */
import type { AssumeRole } from '../../access/assumed-role';

export function stsAssumeRole(region: string): AssumeRole {
  let client: Promise<import('@aws-sdk/client-sts').STSClient> | undefined;
  return async (request) => {
    const sts = await import('@aws-sdk/client-sts');
    client ??= Promise.resolve(
      // Two attempts, short timeouts: a request waits on this call only once per credential lifetime.
      new sts.STSClient({ region, maxAttempts: 2, requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 } }),
    );
    const out = await (await client).send(
      new sts.AssumeRoleCommand({
        RoleArn: request.roleArn,
        RoleSessionName: request.sessionName,
        DurationSeconds: request.durationSeconds,
        ...(request.externalId !== undefined ? { ExternalId: request.externalId } : {}),
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) throw new Error('STS AssumeRole returned incomplete credentials');
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiresAt: c.Expiration.getTime() };
  };
}
