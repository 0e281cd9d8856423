/**
 * Stand-ins for what CloudFormation resolves at deploy time: plausible physical names, ids and ARNs for the
 * intrinsics (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Select`, `Fn::Split`) in a synthesized template, so a Lambda
 * environment can be read as the function would see it. An intrinsic without a plausible value fails loudly.
 */
import { createHash } from 'node:crypto';

export interface DeployTarget {
  readonly region: string;
  readonly account: string;
  readonly stackName: string;
}

type Template = { Resources: Record<string, { Type: string }> };

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
    case 'AWS::KMS::Key':
      return '1234abcd-12ab-34cd-56ef-1234567890ab';
    default:
      throw new Error(`Ref to ${logicalId} (${resource.Type}): no plausible physical id in test/support/intrinsics.ts`);
  }
}

function getAttValue(logicalId: string, attribute: string, template: Template, at: DeployTarget): string {
  const resource = template.Resources[logicalId];
  if (!resource) throw new Error(`Fn::GetAtt of ${logicalId}: no such resource`);
  const key = `${resource.Type}.${attribute}`;
  switch (key) {
    case 'AWS::Bedrock::KnowledgeBase.KnowledgeBaseId':
      return token(logicalId, 10);
    case 'AWS::Bedrock::KnowledgeBase.KnowledgeBaseArn':
      return `arn:aws:bedrock:${at.region}:${at.account}:knowledge-base/${token(logicalId, 10)}`;
    case 'AWS::Bedrock::ApplicationInferenceProfile.InferenceProfileArn':
      return `arn:aws:bedrock:${at.region}:${at.account}:application-inference-profile/${token(logicalId, 12, 'abcdefghijklmnopqrstuvwxyz0123456789')}`;
    case 'AWS::DynamoDB::GlobalTable.Arn':
      return `arn:aws:dynamodb:${at.region}:${at.account}:table/${refValue(logicalId, template, at)}`;
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
