/**
 * The reviewed AWS Control Tower proactive-control failures of the app's stages: each is one control on one
 * construct (its path inside the stage, in the stages listed), with the reason it stays. The README lists them;
 * test/app/template-gates.test.ts fails on a failure that is not here and on an entry that no longer matches one.
 */
import type { ControlTowerFailure } from '../../tools/security/control-tower';

export interface ControlTowerException {
  readonly control: string;
  /** The construct path inside the stage, e.g. `StreamingChat/Chat/Resource`. */
  readonly path: string;
  /** The stages it applies to. */
  readonly stages: string[];
  readonly reason: string;
}

const ALL = ['dev', 'staging', 'prod'];
/** Stages that destroy their resources with the stack (removalPolicy `destroy`). */
const THROWAWAY = ['dev', 'staging'];
/** Stages that name `website` in cdk.json. */
const WITH_WEBSITE = ['dev'];
const HELPER = 'ChatWebsite/Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C256MiB';

const noVpc =
  'Lambda Function URLs cannot stream responses from a function attached to a VPC (Lambda Developer Guide, "VPC compatibility with response streaming"); the chat function reaches only AWS APIs over TLS with SigV4 and has no private resource to protect.';
const shortLogs =
  'A stage that destroys its resources keeps chat logs only as long as it needs them for debugging (cdk.json logRetentionDays: dev 7, staging 30 days); the retaining stage (prod) keeps them 365 days and passes this control.';
const publicUrl =
  "The JWT chat's Function URL is public by design (auth type NONE) so that browsers can call it with a bearer token: the handler verifies every token (JWKS signature, algorithm allow-list, iss, aud, exp/nbf, required claims) and counts requests per source address before that; the resource policy admits invocations only through the Function URL (lambda:InvokedViaFunctionUrl). A stage that wants AWS_IAM auth serves the chat through the page's CloudFront distribution (website.signedInChatPath).";
const logsNotKms =
  'Amazon S3 server access logging cannot deliver to a destination bucket whose default encryption is SSE-KMS (Amazon S3 User Guide, "Enabling Amazon S3 server access logging"): the log bucket uses SSE-S3, TLS only, no public access, versioned.';
const logsNotLogged =
  'This is the access-log bucket: logging its own accesses into itself would log every log delivery again, without end. Its objects are written only by the S3 logging service.';
const logsNoEvents =
  'Nothing consumes events of access-log deliveries (one per log object, several a minute): notifications would only add noise to the default event bus. The documents bucket, whose changes matter, sends EventBridge notifications.';
const logsNotLocked =
  'Object Lock keeps every log object undeletable for its retention period, which a stage that is destroyed cannot honour; versioning protects the logs against overwrite and deletion, and the lifecycle rule expires noncurrent versions after 90 days.';
const documentsNotLocked =
  'Unpublishing a document must remove it from the knowledge base and, after the noncurrent-version lifecycle, from the bucket: Object Lock would keep every version undeletable for its retention period. Versioning keeps overwritten and deleted documents recoverable for 90 days.';

export const CONTROL_TOWER_EXCEPTIONS: ControlTowerException[] = [
  ...['StreamingChat', 'JwtChat', 'GuestRagChat'].flatMap((stack) => [
    { control: 'CT.LAMBDA.PR.3', path: `${stack}/Chat/Resource/Resource`, stages: ALL, reason: noVpc },
    { control: 'CT.CLOUDWATCH.PR.2', path: `${stack}/Chat/LogGroup/Resource`, stages: THROWAWAY, reason: shortLogs },
  ]),
  { control: 'CT.LAMBDA.PR.5', path: 'JwtChat/Chat/Resource/FunctionUrl/Resource', stages: ALL, reason: publicUrl },
  { control: 'CT.LAMBDA.PR.2', path: 'JwtChat/Chat/Resource/invoke-function-url', stages: ALL, reason: publicUrl },
  { control: 'CT.LAMBDA.PR.2', path: 'JwtChat/Chat/Resource/invoke-function', stages: ALL, reason: publicUrl },
  { control: 'CT.S3.PR.10', path: 'GuestRagChat/Knowledge/AccessLogs/Resource', stages: ALL, reason: logsNotKms },
  { control: 'CT.S3.PR.2', path: 'GuestRagChat/Knowledge/AccessLogs/Resource', stages: ALL, reason: logsNotLogged },
  { control: 'CT.S3.PR.4', path: 'GuestRagChat/Knowledge/AccessLogs/Resource', stages: ALL, reason: logsNoEvents },
  { control: 'CT.S3.PR.9', path: 'GuestRagChat/Knowledge/AccessLogs/Resource', stages: ALL, reason: logsNotLocked },
  { control: 'CT.S3.PR.9', path: 'GuestRagChat/Knowledge/Documents/Resource', stages: ALL, reason: documentsNotLocked },
  // The knowledge base's sync function, its queues and log group.
  {
    control: 'CT.LAMBDA.PR.3',
    path: 'GuestRagChat/Sync/Function/Resource',
    stages: ALL,
    reason:
      'The sync function calls only the Bedrock Agent control plane (ListIngestionJobs, StartIngestionJob) over TLS with SigV4 and holds no data of its own; it has no private resource a VPC would protect.',
  },
  { control: 'CT.CLOUDWATCH.PR.2', path: 'GuestRagChat/Sync/LogGroup/Resource', stages: THROWAWAY, reason: shortLogs },
  {
    control: 'CT.SQS.PR.1',
    path: 'GuestRagChat/Sync/DeadLetterQueue/Resource',
    stages: ALL,
    reason:
      'This queue is the dead-letter queue of the document change queue (and of the EventBridge target): the end of the line, kept 14 days and watched by an alarm; a dead-letter queue of its own would only move failed changes further from view.',
  },
  // The caller-credentials chat, in the stages that name it: a public URL whose callers sign Bedrock calls themselves.
  ...[
    'CT.LAMBDA.PR.2:CallerCredentialsChat/Chat/Resource/invoke-function',
    'CT.LAMBDA.PR.2:CallerCredentialsChat/Chat/Resource/invoke-function-url',
    'CT.LAMBDA.PR.5:CallerCredentialsChat/Chat/Resource/FunctionUrl/Resource',
  ].map((entry) => ({
    control: entry.split(':')[0],
    path: entry.split(':')[1],
    stages: ['dev'],
    reason:
      "Public by design (ChatAuth.publicUrl()): each source address is one caller, rate limited (fail closed) before any other work, and every Bedrock call is signed with the caller's own credentials, so the function can do nothing on its own authority; the resource policy admits invocations only through the Function URL.",
  })),
  { control: 'CT.LAMBDA.PR.3', path: 'CallerCredentialsChat/Chat/Resource/Resource', stages: ['dev'], reason: noVpc },
  { control: 'CT.CLOUDWATCH.PR.2', path: 'CallerCredentialsChat/Chat/LogGroup/Resource', stages: ['dev'], reason: shortLogs },
  // The OpenAI-compatible API, in the stages that name chatCompletions: API keys behind a public URL.
  ...['invoke-function', 'invoke-function-url', 'FunctionUrl/Resource'].map((resource) => ({
    control: resource.startsWith('FunctionUrl') ? 'CT.LAMBDA.PR.5' : 'CT.LAMBDA.PR.2',
    path: `ChatCompletions/Completions/Function/Resource/${resource}`,
    stages: ['dev', 'staging'],
    reason:
      "API key auth: the Function URL is public by design (auth type NONE, as OpenAI clients send a bearer key, not SigV4); the handler looks up every request's key by its SHA-256 (unknown, disabled and expired keys refused) before any other work, and the resource policy admits invocations only through the Function URL.",
  })),
  { control: 'CT.LAMBDA.PR.3', path: 'ChatCompletions/Completions/Function/Resource/Resource', stages: ['dev', 'staging'], reason: noVpc },
  { control: 'CT.CLOUDWATCH.PR.2', path: 'ChatCompletions/Completions/Function/LogGroup/Resource', stages: THROWAWAY, reason: shortLogs },
  // The chat page (ChatWebsite) and aws-cdk-lib's BucketDeployment handler that copies it, in the stages with a page.
  {
    control: 'CT.CLOUDWATCH.PR.3',
    path: `${HELPER}/LogGroup/Resource`,
    stages: WITH_WEBSITE,
    reason:
      "aws-cdk-lib's BucketDeployment handler runs only while CloudFormation deploys the page and logs the file names it copies, never page content or secrets; aws-cdk-lib creates its log group with the service's default encryption.",
  },
  {
    control: 'CT.LAMBDA.PR.3',
    path: `${HELPER}/Resource`,
    stages: WITH_WEBSITE,
    reason:
      "aws-cdk-lib's BucketDeployment handler calls only S3 and CloudFront APIs during deployments and handles no data of the chat; aws-cdk-lib creates it outside a VPC.",
  },
  {
    control: 'CT.S3.PR.10',
    path: 'ChatWebsite/Website/Bucket/Resource',
    stages: WITH_WEBSITE,
    reason:
      'The bucket holds the public chat page that CloudFront serves to anyone: SSE-S3 encrypts it at rest; a KMS key would protect nothing secret and need a key policy open to every distribution of the account.',
  },
  {
    control: 'CT.S3.PR.4',
    path: 'ChatWebsite/Website/Bucket/Resource',
    stages: WITH_WEBSITE,
    reason:
      'The page bucket changes only when CloudFormation deploys the page (BucketDeployment), which CloudFormation events already record; no consumer needs object events.',
  },
  {
    control: 'CT.S3.PR.9',
    path: 'ChatWebsite/Website/Bucket/Resource',
    stages: WITH_WEBSITE,
    reason:
      'Every deployment replaces the page files (BucketDeployment prunes the old ones): Object Lock would make them undeletable. The page is rebuilt from the repository; versioning keeps earlier files recoverable for 90 days.',
  },
  {
    control: 'CT.S3.PR.10',
    path: 'ChatWebsite/Website/Logs/Resource',
    stages: WITH_WEBSITE,
    reason:
      'CloudFront standard logs (delivered with the awslogsdelivery ACL) cannot go to an SSE-KMS bucket without key grants to that account, and S3 server access logs cannot use SSE-KMS at all: the log bucket uses SSE-S3, TLS only, versioned.',
  },
  { control: 'CT.S3.PR.2', path: 'ChatWebsite/Website/Logs/Resource', stages: WITH_WEBSITE, reason: logsNotLogged },
  { control: 'CT.S3.PR.4', path: 'ChatWebsite/Website/Logs/Resource', stages: WITH_WEBSITE, reason: logsNoEvents },
  { control: 'CT.S3.PR.9', path: 'ChatWebsite/Website/Logs/Resource', stages: WITH_WEBSITE, reason: logsNotLocked },
  {
    control: 'CT.CLOUDFRONT.PR.4',
    path: 'ChatWebsite/Website/Distribution/Resource',
    stages: WITH_WEBSITE,
    reason:
      'The page has one origin, a regional S3 bucket of the stage; a failover origin would need a replicated bucket in a second region for a static page that `cdk deploy` rebuilds. The chat backends it calls are regional anyway.',
  },
  ...['CT.CLOUDFRONT.PR.6', 'CT.CLOUDFRONT.PR.7', 'CT.CLOUDFRONT.PR.9'].map((control) => ({
    control,
    path: 'ChatWebsite/Website/Distribution/Resource',
    stages: WITH_WEBSITE,
    reason:
      'The dev stage names no website.domainName: the distribution serves its *.cloudfront.net name with the CloudFront default certificate, whose TLS policy and certificate CloudFront fixes. A stage with domainName and certificateArn gets a custom certificate, SNI and TLSv1.2_2021.',
  })),
];

/** The exception entries that cover `failure` (exactly one, when reviewed). */
export function exceptionsFor(failure: ControlTowerFailure): ControlTowerException[] {
  return CONTROL_TOWER_EXCEPTIONS.filter((e) => e.control === failure.control && e.path === failure.path && e.stages.includes(failure.stage));
}

export function isExcepted(failure: ControlTowerFailure): boolean {
  return exceptionsFor(failure).length > 0;
}
