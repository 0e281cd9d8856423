/**
 * The reviewed statement elements of the stages' own IAM policies that AWS's service authorization data does not
 * support as written: each one action on one resource of one role (`<stack>/<role logical id>`), in the stages listed,
 * with the reason it stays. test/app/template-gates.test.ts fails on a finding that is not here and on an entry that
 * no longer matches a finding.
 */
import type { PolicyFinding } from './iam-simulation';

export interface PolicyException {
  readonly role: string;
  readonly action: string;
  /** The resource as the simulation resolves it, `<account>` and `<region>` standing for the stage's. */
  readonly resource: string;
  readonly stages: string[];
  readonly reason: string;
}

/** Stages whose models are `global.` inference profiles (cdk.json). */
const GLOBAL_PROFILES = ['dev'];
const GLOBAL_MODELS = ['anthropic.claude-haiku-4-5-20251001-v1:0', 'anthropic.claude-sonnet-4-6'];
const regionless =
  'A global inference profile routes requests to any commercial region, and IAM authorizes those outside the caller geography against the foundation-model ARN without a region (Amazon Bedrock User Guide, "Global cross-Region inference": the policy must allow arn:aws:bedrock:::foundation-model/<model>, with aws:RequestedRegion "unspecified"). The service authorization data\'s foundation-model ARN has a region placeholder that cannot be empty, so it reports no matching resource type; the grant is usable only through the profile (bedrock:InferenceProfileArn).';
const DEPLOYMENT = 'ChatWebsite/CustomCDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C256MiBServiceRoleF991ED9F';
const cdkHelper =
  "aws-cdk-lib's BucketDeployment helper role (the page's files, deployed once per deployment): aws-cdk-lib writes these statements (grantRead on the asset bucket, grantReadWrite on the page bucket, invalidation), listing the bucket and object ARNs for every action pattern; the project does not write them, and the role only runs at deployment, by CloudFormation.";
const pageBucket = 'arn:aws:s3:::dev-chatwebsite-websitebucket4326d7c2-0zor3dos172f';

export const IAM_POLICY_EXCEPTIONS: PolicyException[] = [
  ...[
    'StreamingChat/ChatServiceRole7CF66081',
    'JwtChat/ChatServiceRole7CF66081',
    'GuestRagChat/ChatServiceRole7CF66081',
    'ChatCompletions/CompletionsFunctionServiceRole9F49E01D',
  ].flatMap((role) =>
    GLOBAL_MODELS.map((model) => ({
      role,
      action: 'bedrock:InvokeModelWithResponseStream',
      resource: `arn:aws:bedrock:::foundation-model/${model}`,
      stages: GLOBAL_PROFILES,
      reason: regionless,
    })),
  ),
  { role: DEPLOYMENT, action: 's3:GetObject*', resource: 'arn:aws:s3:::cdk-hnb659fds-assets-<account>-<region>', stages: ['dev'], reason: cdkHelper },
  {
    role: DEPLOYMENT,
    action: 's3:GetBucket*',
    resource: 'arn:aws:s3:::cdk-hnb659fds-assets-<account>-<region>/*',
    stages: ['dev'],
    reason: cdkHelper,
  },
  { role: DEPLOYMENT, action: 's3:GetBucket*', resource: `${pageBucket}/*`, stages: ['dev'], reason: cdkHelper },
  ...[
    's3:Abort*',
    's3:DeleteObject*',
    's3:GetObject*',
    's3:PutObject',
    's3:PutObjectLegalHold',
    's3:PutObjectRetention',
    's3:PutObjectTagging',
    's3:PutObjectVersionTagging',
  ].map((action) => ({ role: DEPLOYMENT, action, resource: pageBucket, stages: ['dev'], reason: cdkHelper })),
  ...['cloudfront:CreateInvalidation', 'cloudfront:GetInvalidation'].map((action) => ({
    role: DEPLOYMENT,
    action,
    resource: '*',
    stages: ['dev'],
    reason: `${cdkHelper} Invalidations are granted on every distribution of the account.`,
  })),
];

const concrete = (resource: string, finding: PolicyFinding, region: string, account: string) =>
  resource.replace(/<region>/g, region).replace(/<account>/g, account) === finding.resource;

/** The exceptions that cover `finding` (in a stage of `region`, simulated in `account`). */
export function policyExceptionsFor(finding: PolicyFinding, region: string, account: string): PolicyException[] {
  return IAM_POLICY_EXCEPTIONS.filter(
    (e) =>
      e.stages.includes(finding.stage) && e.role === finding.role && e.action === finding.action && concrete(e.resource, finding, region, account),
  );
}
