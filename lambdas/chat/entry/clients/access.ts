/**
 * The Bedrock clients of an entry, by `BEDROCK_ACCESS` (access/client-source.ts): the function role's module-scope
 * client, clients on the assumed role's cached credentials (one cache per execution environment, shared by every
 * client of the entry), or a client per request on the caller's credentials.
 */
import { DEFAULTS } from '../../../../contract/env';
import { AssumedRoleCredentials } from '../../access/assumed-role';
import { assumedRoleClients, type ClientSource, callerCredentialClients, functionRoleClients, type SendClient } from '../../access/client-source';
import type { AccessConfig } from '../../access/config';
import { stsAssumeRole } from './sts';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

let assumed: AssumedRoleCredentials | undefined;

/** The role credentials of this execution environment (created on first use; one STS call per lifetime). */
export function assumedRoleCredentials(access: AccessConfig & { mode: 'assume-role' }, region: string): AssumedRoleCredentials {
  assumed ??= new AssumedRoleCredentials({
    ...access,
    durationSeconds: DEFAULTS.assumedRoleDurationSeconds,
    refreshMarginMs: DEFAULTS.credentialRefreshMarginSeconds * 1000,
    assumeRole: stsAssumeRole(region),
  });
  return assumed;
}

/** `makeClient(region, credentials?)` builds one SDK client (clients/*.ts). */
export function clientSource<C extends SendClient>(
  access: AccessConfig,
  region: string,
  makeClient: (region: string, credentials?: AwsCredentials) => C,
): ClientSource<C> {
  switch (access.mode) {
    case 'function-role': {
      const client = makeClient(region);
      return { ...functionRoleClients(client, region), preconnect: () => client.preconnect?.() };
    }
    case 'assume-role':
      return assumedRoleClients(assumedRoleCredentials(access, region), region, (credentials) => makeClient(region, credentials));
    case 'caller-credentials':
      return callerCredentialClients(access.allowedRegions, makeClient);
  }
}
