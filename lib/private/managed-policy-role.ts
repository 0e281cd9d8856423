import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * An IAM role whose permissions live in one customer-managed policy instead of an inline one.
 *
 * Every grant (`table.grantX(role)`, a function's X-Ray statements, …) lands in the managed
 * policy, which is versioned, visible on its own in IAM and satisfies the NIST 800-53 and HIPAA
 * "no inline policy" controls without an acknowledgement.
 */
export class ManagedPolicyRole extends iam.Role {
  /** The policy holding every statement added to this role. */
  public readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: iam.RoleProps) {
    super(scope, id, props);
    this.policy = new iam.ManagedPolicy(this, 'Policy', { roles: [this], description: props.description });
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    this.policy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.policy };
  }
}
