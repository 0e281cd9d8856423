/**
 * Whose credentials sign the function's calls to Bedrock (`BEDROCK_ACCESS` and its variables), read and checked
 * once at init like every other block's configuration.
 */
import { BEDROCK_ACCESS_MODES, DEFAULTS, ENV } from '../../../contract/env';
import { EXTERNAL_ID, IAM_ROLE_ARN, REGION, ROLE_SESSION_NAME } from '../../../contract/patterns';
import { commaList, type Env, problemTracker, type ReportProblem } from '../core/config';

export type AccessConfig =
  | { readonly mode: 'function-role' }
  | { readonly mode: 'assume-role'; readonly roleArn: string; readonly externalId?: string; readonly sessionName: string }
  | { readonly mode: 'caller-credentials'; readonly allowedRegions: readonly string[] };

export function readAccessConfig(env: Env, report: ReportProblem): AccessConfig | undefined {
  const mode = env[ENV.bedrockAccess] ?? BEDROCK_ACCESS_MODES.functionRole;
  switch (mode) {
    case BEDROCK_ACCESS_MODES.functionRole:
      return { mode };
    case BEDROCK_ACCESS_MODES.assumeRole: {
      const tracker = problemTracker(report);
      const roleArn = env[ENV.bedrockRoleArn];
      if (roleArn === undefined || !IAM_ROLE_ARN.test(roleArn))
        tracker.bad(ENV.bedrockRoleArn, 'an IAM role ARN (arn:aws:iam::123456789012:role/Name)');
      const externalId = env[ENV.bedrockExternalId];
      if (externalId !== undefined && !EXTERNAL_ID.test(externalId))
        tracker.bad(ENV.bedrockExternalId, '2 to 1224 of A-Z a-z 0-9 + = , . @ : / - _, or unset');
      const sessionName = env[ENV.bedrockSessionName] ?? DEFAULTS.bedrockSessionName;
      if (!ROLE_SESSION_NAME.test(sessionName)) tracker.bad(ENV.bedrockSessionName, '2 to 64 of A-Z a-z 0-9 + = , . @ - _, or unset');
      if (!tracker.valid || roleArn === undefined) return undefined;
      return { mode, roleArn, ...(externalId !== undefined ? { externalId } : {}), sessionName };
    }
    case BEDROCK_ACCESS_MODES.callerCredentials: {
      const allowedRegions = commaList(env[ENV.bedrockAllowedRegions] ?? env[ENV.region]);
      if (allowedRegions.length === 0 || !allowedRegions.every((r) => REGION.test(r))) {
        return report(ENV.bedrockAllowedRegions, 'comma-separated AWS regions such as eu-west-1,us-east-1 (unset: AWS_REGION)');
      }
      return { mode, allowedRegions };
    }
    default:
      return report(ENV.bedrockAccess, `one of ${Object.values(BEDROCK_ACCESS_MODES).join(', ')}, or unset`);
  }
}
