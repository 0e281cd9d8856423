import { CfnResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagMessageLevel, NagPack, NagPackProps, NagRuleCompliance, NagRuleResult } from 'cdk-nag';
import { IConstruct } from 'constructs';

/**
 * Bedrock chat rules cdk-nag does not have (cdk-nag has no Bedrock rules: cdk-nag issue #2163), as a cdk-nag
 * `NagPack`: add it to an app with `Validations.of(app).addPlugins(new BedrockChatChecks(app))`, next to the
 * AWS packs, and acknowledge a finding like any other (`BedrockChat::BedrockChat-<rule>`).
 *
 * - `BedrockChat-IAMNoWildcardInvoke`: no IAM policy allows `bedrock:*`, `bedrock:Invoke*` (or `*`) on `*`:
 *   model access names the models, profiles and regions it needs.
 * - `BedrockChat-FunctionUrlInvokeViaUrl`: a resource-policy grant of `lambda:InvokeFunction` to everyone carries
 *   `lambda:InvokedViaFunctionUrl`, so a public Function URL does not make the function invocable directly.
 * - `BedrockChat-LogGroupEncryptedRetained`: every log group is encrypted with a KMS key and has a retention
 *   (chat logs hold request metadata; kept forever in the clear is neither private nor cheap).
 */
export class BedrockChatChecks extends NagPack {
  public readonly name = 'BedrockChat';

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
      info: 'A log group has no KMS key or no retention.',
      explanation: 'Chat function logs carry request metadata: encrypt them with a customer managed key and keep them for a stated time.',
      level: NagMessageLevel.ERROR,
      node,
      rule: Object.defineProperty(logGroupEncryptedRetained, 'name', { value: 'LogGroupEncryptedRetained' }),
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
  return stack.resolve(node.kmsKeyId) !== undefined && stack.resolve(node.retentionInDays) !== undefined
    ? NagRuleCompliance.COMPLIANT
    : NagRuleCompliance.NON_COMPLIANT;
}
