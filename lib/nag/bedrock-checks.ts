import { CfnResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagMessageLevel, NagPack, NagPackProps, NagRuleCompliance, NagRuleResult } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { BEDROCK_ACCESS_MODES, ENV } from '../../contract/env';

/**
 * Bedrock chat rules cdk-nag does not have (cdk-nag has no Bedrock rules: cdk-nag issue #2163), as a cdk-nag
 * `NagPack`: add it to an app with `Validations.of(app).addPlugins(new BedrockChatChecks(app))`, next to the
 * AWS packs, and acknowledge a finding like any other (`BedrockChat::BedrockChat-<rule>`).
 *
 * - `BedrockChat-IAMNoWildcardInvoke`: no IAM policy allows `bedrock:*`, `bedrock:Invoke*` (or `*`) on `*`:
 *   model access names the models, profiles and regions it needs.
 * - `BedrockChat-FunctionUrlInvokeViaUrl`: a resource-policy grant of `lambda:InvokeFunction` to everyone carries
 *   `lambda:InvokedViaFunctionUrl`, so a public Function URL does not make the function invocable directly.
 * - `BedrockChat-LogGroupEncryptedRetained`: a chat function's log group is encrypted with a KMS key and has a
 *   retention (chat logs hold request metadata; kept forever in the clear is neither private nor cheap). Other log
 *   groups (deployment helpers of aws-cdk-lib) are the AWS packs' business.
 * - `BedrockChat-InferenceProfileCondition`: a grant on a foundation model that a granted inference profile routes
 *   to carries `bedrock:InferenceProfileArn`, so the model is reachable only through the profile (not directly, in
 *   any region of the geography).
 * - `BedrockChat-PublicEndpointGuardrail`: a chat function that anyone can reach (a Function URL with auth type
 *   `NONE`, or invocable by a Cognito identity pool's unauthenticated role) sends a guardrail with every model call;
 *   not applicable to a function that calls Bedrock with its callers' own credentials (they could call it directly).
 */
export class BedrockChatChecks extends NagPack {
  public readonly name: string = 'BedrockChat';

  constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
    this.packName = 'BedrockChat';
  }

  protected checkResource(node: CfnResource): void {
    this.applyRule({
      info: 'An IAM policy allows bedrock:*, bedrock:Invoke* or * on every resource.',
      explanation:
        'Grant Bedrock invocation on the exact foundation-model, inference-profile and region ARNs a function calls ' +
        '(BedrockModel grants do), never on "*": a wildcard lets the role call every model, including the most expensive ones.',
      level: NagMessageLevel.ERROR,
      node,
      rule: Object.defineProperty(noWildcardInvoke, 'name', { value: 'IAMNoWildcardInvoke' }),
    });
    this.applyRule({
      info: 'A Lambda permission lets everyone call lambda:InvokeFunction without lambda:InvokedViaFunctionUrl.',
      explanation:
        'A public Function URL needs lambda:InvokeFunction for principal * only through the URL; without the condition ' +
        'anyone could invoke the function directly, past the URL and its CORS and auth settings.',
      level: NagMessageLevel.ERROR,
      node,
      rule: Object.defineProperty(invokeViaUrl, 'name', { value: 'FunctionUrlInvokeViaUrl' }),
    });
    this.applyRule({
      info: "A chat function's log group has no KMS key or no retention.",
      explanation: 'Chat function logs carry request metadata: encrypt them with a customer managed key and keep them for a stated time.',
      level: NagMessageLevel.ERROR,
      node,
      rule: Object.defineProperty(logGroupEncryptedRetained, 'name', { value: 'LogGroupEncryptedRetained' }),
    });
    this.applyRule({
      info: 'A policy grants a foundation model that a granted inference profile routes to, without the bedrock:InferenceProfileArn condition.',
      explanation:
        'Cross-region inference needs the foundation model in every destination region; without the condition the role may also invoke ' +
        'that model directly in each of those regions, outside the profile the function is meant to use (Bedrock User Guide, ' +
        '"Prerequisites for inference profiles").',
      level: NagMessageLevel.ERROR,
      node,
      rule: Object.defineProperty(inferenceProfileCondition, 'name', { value: 'InferenceProfileCondition' }),
    });
    this.applyRule({
      info: 'A chat function anyone can reach (Function URL auth NONE, or a guest role) calls models without a guardrail.',
      explanation:
        'Anonymous or self-registered callers can send anything: a guardrail (ChatGuardrail, the guardrail prop) filters harmful ' +
        'content and prompt attacks in both directions. Authenticated audiences may acknowledge this with their reason.',
      level: NagMessageLevel.ERROR,
      node,
      rule: Object.defineProperty(publicEndpointGuardrail, 'name', { value: 'PublicEndpointGuardrail' }),
    });
  }
}

interface Statement {
  Effect?: string;
  Action?: string | string[];
  Resource?: unknown;
}

const WILDCARD_INVOKE = /^(\*|bedrock:\*|bedrock:Invoke\*|bedrock:InvokeModel\*)$/i;

function noWildcardInvoke(node: CfnResource): NagRuleResult {
  const documents = policyDocuments(node);
  if (documents === undefined) return NagRuleCompliance.NOT_APPLICABLE;
  for (const document of documents) {
    for (const statement of statementsOf(document)) {
      if (statement.Effect !== 'Allow') continue;
      const actions = [statement.Action ?? []].flat();
      const resources = [statement.Resource ?? []].flat();
      if (actions.some((a) => WILDCARD_INVOKE.test(String(a))) && resources.some((r) => r === '*')) return NagRuleCompliance.NON_COMPLIANT;
    }
  }
  return NagRuleCompliance.COMPLIANT;
}

/** Geography prefixes of system-defined cross-region inference profiles (`us.`, `eu.`, `global.`, …). */
const PROFILE_GEOGRAPHY = /^[a-z]{2,6}(-[a-z]+)?\./;
const MODEL_INVOKE = /^bedrock:(InvokeModel|InvokeModelWithResponseStream|\*|Invoke\*|InvokeModel\*)$/i;

function inferenceProfileCondition(node: CfnResource): NagRuleResult {
  const documents = policyDocuments(node);
  if (documents === undefined) return NagRuleCompliance.NOT_APPLICABLE;
  let applicable = false;
  for (const document of documents) {
    const statements = statementsOf(document).filter(
      (st) => st.Effect === 'Allow' && [st.Action ?? []].flat().some((a) => MODEL_INVOKE.test(String(a))),
    );
    const resourcesOf = (st: Statement) => [st.Resource ?? []].flat().map(flatten);
    // The models the granted profiles route to: the profile id without its geography prefix.
    const routed = new Set(
      statements.flatMap((st) =>
        resourcesOf(st)
          .flatMap((r) => /:inference-profile\/(.+)$/.exec(r)?.[1] ?? [])
          .map((id) => id.replace(PROFILE_GEOGRAPHY, '')),
      ),
    );
    for (const st of statements) {
      const models = resourcesOf(st).flatMap((r) => /:foundation-model\/(.+)$/.exec(r)?.[1] ?? []);
      if (!models.some((m) => routed.has(m))) continue;
      applicable = true;
      const conditions = Object.values((st as { Condition?: Record<string, Record<string, unknown>> }).Condition ?? {});
      if (!conditions.some((c) => Object.keys(c).some((k) => k.toLowerCase() === 'bedrock:inferenceprofilearn')))
        return NagRuleCompliance.NON_COMPLIANT;
    }
  }
  return applicable ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NOT_APPLICABLE;
}

/** A resolved CloudFormation value as text: intrinsics become `<…>`, joins are joined. */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })?.['Fn::Join'];
  if (join) return join[1].map(flatten).join(join[0]);
  return '<token>';
}

function publicEndpointGuardrail(node: CfnResource): NagRuleResult {
  if (!(node instanceof lambda.CfnFunction)) return NagRuleCompliance.NOT_APPLICABLE;
  const stack = Stack.of(node);
  const environment = (stack.resolve(node.environment) as { variables?: Record<string, unknown> } | undefined)?.variables ?? {};
  // Chat functions only (they name their auth mode); other functions call no model.
  if (environment[ENV.authMode] === undefined) return NagRuleCompliance.NOT_APPLICABLE;
  // A function that calls Bedrock with its callers' own credentials cannot bind them: they can call Bedrock directly.
  // Their guardrail belongs in their own IAM policies (bedrock:GuardrailIdentifier).
  if (environment[ENV.bedrockAccess] === BEDROCK_ACCESS_MODES.callerCredentials) return NagRuleCompliance.NOT_APPLICABLE;
  const functionArn = JSON.stringify(stack.resolve(node.attrArn));
  const resources = stack.node.findAll().filter((c): c is CfnResource => c instanceof CfnResource && Stack.of(c) === stack);
  const publicUrl = resources.some(
    (r) => r instanceof lambda.CfnUrl && stack.resolve(r.authType) === 'NONE' && JSON.stringify(stack.resolve(r.targetFunctionArn)) === functionArn,
  );
  const guestRoles = new Set(
    resources
      .filter(
        (r): r is iam.CfnRole => r instanceof iam.CfnRole && /"unauthenticated"/.test(JSON.stringify(stack.resolve(r.assumeRolePolicyDocument))),
      )
      .map((r) => JSON.stringify(stack.resolve(r.ref))),
  );
  const invokedByGuests = resources.some((r) => {
    if (!(r instanceof iam.CfnManagedPolicy || r instanceof iam.CfnPolicy)) return false;
    const roles = ((stack.resolve(r.roles) as unknown[] | undefined) ?? []).map((role) => JSON.stringify(role));
    if (!roles.some((role) => guestRoles.has(role))) return false;
    return statementsOf(stack.resolve(r.policyDocument)).some(
      (st) =>
        st.Effect === 'Allow' &&
        [st.Action ?? []].flat().some((a) => /^lambda:InvokeFunction(Url)?$/.test(String(a))) &&
        JSON.stringify(st.Resource ?? []).includes(functionArn),
    );
  });
  if (!publicUrl && !invokedByGuests) return NagRuleCompliance.NOT_APPLICABLE;
  return environment[ENV.guardrailId] !== undefined ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}

function policyDocuments(node: CfnResource): unknown[] | undefined {
  const stack = Stack.of(node);
  if (node instanceof iam.CfnManagedPolicy || node instanceof iam.CfnPolicy) return [stack.resolve(node.policyDocument)];
  if (node instanceof iam.CfnRole) {
    const policies = stack.resolve(node.policies) as Array<{ policyDocument?: unknown; PolicyDocument?: unknown }> | undefined;
    return (policies ?? []).map((p) => p.PolicyDocument ?? p.policyDocument);
  }
  return undefined;
}

function statementsOf(document: unknown): Statement[] {
  const statements = (document as { Statement?: unknown } | undefined)?.Statement;
  return Array.isArray(statements) ? (statements as Statement[]) : [];
}

function invokeViaUrl(node: CfnResource): NagRuleResult {
  if (!(node instanceof lambda.CfnPermission)) return NagRuleCompliance.NOT_APPLICABLE;
  const stack = Stack.of(node);
  const action = stack.resolve(node.action);
  const principal = stack.resolve(node.principal);
  if (action !== 'lambda:InvokeFunction' || principal !== '*') return NagRuleCompliance.NOT_APPLICABLE;
  return stack.resolve(node.invokedViaFunctionUrl) === true ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}

function logGroupEncryptedRetained(node: CfnResource): NagRuleResult {
  if (!(node instanceof logs.CfnLogGroup)) return NagRuleCompliance.NOT_APPLICABLE;
  const stack = Stack.of(node);
  // A chat function's log group: one a function naming its chat auth mode (CHAT_AUTH_MODE) logs to.
  const ref = JSON.stringify(stack.resolve(node.ref));
  const ofChatFunction = stack.node
    .findAll()
    .some(
      (c) =>
        c instanceof lambda.CfnFunction &&
        Stack.of(c) === stack &&
        (stack.resolve(c.environment) as { variables?: Record<string, unknown> } | undefined)?.variables?.[ENV.authMode] !== undefined &&
        JSON.stringify(stack.resolve(c.loggingConfig) ?? {}).includes(ref),
    );
  if (!ofChatFunction) return NagRuleCompliance.NOT_APPLICABLE;
  return stack.resolve(node.kmsKeyId) !== undefined && stack.resolve(node.retentionInDays) !== undefined
    ? NagRuleCompliance.COMPLIANT
    : NagRuleCompliance.NON_COMPLIANT;
}
