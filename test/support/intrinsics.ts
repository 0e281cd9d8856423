/**
 * Stand-ins for what CloudFormation resolves at deploy time: plausible physical names, ids and ARNs for the
 * intrinsics (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::Sub`) in a synthesized template, so a Lambda
 * environment can be read as the function would see it. An intrinsic without a plausible value fails loudly.
 */
import { createHash } from 'node:crypto';

export interface DeployTarget {
  readonly region: string;
  readonly account: string;
  readonly stackName: string;
}

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

/** A short, stable, alphanumeric token derived from `seed`. */
function token(seed: string, length: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'): string {
  const bytes = createHash('sha256').update(seed).digest();
  return [...bytes.subarray(0, length)].map((b) => alphabet[b % alphabet.length]).join('');
}

function refValue(logicalId: string, template: Template, at: DeployTarget): string {
  const pseudo: Record<string, string> = {
    'AWS::Region': at.region,
    'AWS::AccountId': at.account,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': at.stackName,
  };
  if (pseudo[logicalId]) return pseudo[logicalId];
  const resource = template.Resources[logicalId];
  if (!resource) throw new Error(`Ref to ${logicalId}: neither a pseudo parameter nor a resource of the template`);
  switch (resource.Type) {
    case 'AWS::DynamoDB::GlobalTable':
    case 'AWS::DynamoDB::Table':
    case 'AWS::Lambda::Function':
      return `${at.stackName}-${logicalId}-${token(logicalId, 12)}`;
    case 'AWS::Cognito::UserPool':
      return `${at.region}_${token(logicalId, 9, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}`;
    case 'AWS::Cognito::UserPoolClient':
      return token(logicalId, 26, 'abcdefghijklmnopqrstuvwxyz0123456789');
    case 'AWS::KMS::Key': {
      const hex = token(logicalId, 32, '0123456789abcdef');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    }
    case 'AWS::Logs::LogGroup':
      return named(resource, 'LogGroupName') ?? `${at.stackName}-${logicalId}-${token(logicalId, 12)}`;
    case 'AWS::S3::Bucket':
      return named(resource, 'BucketName') ?? `${at.stackName}-${logicalId}-${token(logicalId, 12)}`.toLowerCase();
    case 'AWS::IAM::Role':
      return named(resource, 'RoleName') ?? `${at.stackName}-${logicalId}-${token(logicalId, 12)}`;
    case 'AWS::CloudFront::Distribution':
      return `E${token(logicalId, 13)}`;
    case 'AWS::Cognito::IdentityPool':
      return `${at.region}:${token(logicalId, 8, '0123456789abcdef')}-0000-4000-8000-${token(logicalId, 12, '0123456789abcdef')}`;
    default:
      throw new Error(`Ref to ${logicalId} (${resource.Type}): no plausible physical id in test/support/intrinsics.ts`);
  }
}

/** The physical name a resource's template gives it, when it gives one as a plain string. */
function named(resource: { Properties?: Record<string, unknown> }, property: string): string | undefined {
  const name = resource.Properties?.[property];
  return typeof name === 'string' ? name : undefined;
}

function getAttValue(logicalId: string, attribute: string, template: Template, at: DeployTarget): string {
  const resource = template.Resources[logicalId];
  if (!resource) throw new Error(`Fn::GetAtt of ${logicalId}: no such resource`);
  const key = `${resource.Type}.${attribute}`;
  switch (key) {
    case 'AWS::Bedrock::KnowledgeBase.KnowledgeBaseId':
      return token(logicalId, 10);
    case 'AWS::Bedrock::DataSource.DataSourceId':
      return token(logicalId, 10);
    case 'AWS::Bedrock::KnowledgeBase.KnowledgeBaseArn':
      return `arn:aws:bedrock:${at.region}:${at.account}:knowledge-base/${token(logicalId, 10)}`;
    case 'AWS::Bedrock::ApplicationInferenceProfile.InferenceProfileArn':
      return `arn:aws:bedrock:${at.region}:${at.account}:application-inference-profile/${token(logicalId, 12, 'abcdefghijklmnopqrstuvwxyz0123456789')}`;
    case 'AWS::DynamoDB::GlobalTable.Arn':
      return `arn:aws:dynamodb:${at.region}:${at.account}:table/${refValue(logicalId, template, at)}`;
    case 'AWS::KMS::Key.Arn':
      return `arn:aws:kms:${at.region}:${at.account}:key/${refValue(logicalId, template, at)}`;
    case 'AWS::Logs::LogGroup.Arn':
      return `arn:aws:logs:${at.region}:${at.account}:log-group:${refValue(logicalId, template, at)}:*`;
    case 'AWS::S3::Bucket.Arn':
      return `arn:aws:s3:::${refValue(logicalId, template, at)}`;
    case 'AWS::IAM::Role.Arn':
      return `arn:aws:iam::${at.account}:role/${refValue(logicalId, template, at)}`;
    case 'AWS::Lambda::Function.Arn':
      return `arn:aws:lambda:${at.region}:${at.account}:function:${refValue(logicalId, template, at)}`;
    case 'AWS::SQS::Queue.Arn':
      return `arn:aws:sqs:${at.region}:${at.account}:${at.stackName}-${logicalId}-${token(logicalId, 12)}`;
    case 'AWS::Bedrock::Guardrail.GuardrailArn':
      return `arn:aws:bedrock:${at.region}:${at.account}:guardrail/${token(logicalId, 12, 'abcdefghijklmnopqrstuvwxyz0123456789')}`;
    case 'AWS::Bedrock::GuardrailVersion.Version':
      return '1';
    case 'AWS::S3Vectors::Index.IndexArn':
      return `arn:aws:s3vectors:${at.region}:${at.account}:bucket/${at.stackName.toLowerCase()}-vectors/index/${token(logicalId, 10).toLowerCase()}`;
    case 'AWS::Cognito::UserPool.ProviderURL':
      return `cognito-idp.${at.region}.amazonaws.com/${refValue(logicalId, template, at)}`;
    default:
      throw new Error(`Fn::GetAtt ${logicalId}.${attribute} (${resource.Type}): no plausible value in test/support/intrinsics.ts`);
  }
}

/** `value` with every intrinsic replaced by what it would resolve to when `template` is deployed at `at`. */
export function resolveIntrinsics(value: unknown, template: Template, at: DeployTarget): unknown {
  const resolve = (v: unknown): unknown => resolveIntrinsics(v, template, at);
  if (Array.isArray(value)) return value.map(resolve);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [[fn, args]] = entries;
    switch (fn) {
      case 'Ref':
        return refValue(args as string, template, at);
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = args as [string, string];
        return getAttValue(logicalId, attribute, template, at);
      }
      case 'Fn::Join': {
        const [separator, parts] = args as [string, unknown[]];
        return (resolve(parts) as unknown[]).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = args as [number | string, unknown];
        return (resolve(list) as unknown[])[Number(index)];
      }
      case 'Fn::Sub': {
        if (typeof args !== 'string') throw new Error('Fn::Sub with a variable map: not resolved by test/support/intrinsics.ts');
        return args.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
          const [logicalId, attribute] = name.split('.');
          return attribute === undefined ? refValue(logicalId, template, at) : getAttValue(logicalId, attribute, template, at);
        });
      }
      case 'Fn::Split': {
        const [separator, text] = args as [string, unknown];
        return String(resolve(text)).split(separator);
      }
      default:
        if (fn.startsWith('Fn::')) throw new Error(`${fn}: not resolved by test/support/intrinsics.ts`);
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v)]));
}
