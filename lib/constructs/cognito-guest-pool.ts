import { Lazy, Validations } from 'aws-cdk-lib';
import * as identitypool from 'aws-cdk-lib/aws-cognito-identitypool';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ManagedPolicyRole } from '../private/managed-policy-role';
import { BedrockChatFunction, IBedrockChatFunction } from './bedrock-chat-function';

export interface CognitoGuestPoolProps {
  /**
   * Sign-in providers (a user pool, OpenID Connect, SAML, social) for users who sign in. When given,
   * the pool also has an authenticated role, which `allowInvoke` grants the same as the guest role.
   * @default - guests only
   */
  readonly authenticationProviders?: identitypool.IdentityPoolAuthenticationProviders;

  /**
   * What the pool is for, written into its roles' descriptions.
   * @default 'Guest access to a chat Function URL'
   */
  readonly description?: string;
}

const COGNITO_IDENTITY = 'cognito-identity.amazonaws.com';

/**
 * An Amazon Cognito identity pool that hands browsers short-lived IAM credentials without a sign-in,
 * so they can SigV4-sign requests to an `AWS_IAM` Function URL.
 *
 * Guests use the basic (classic) flow: `GetId`, `GetOpenIdToken`, then `sts:AssumeRoleWithWebIdentity`
 * on the guest role. The enhanced flow (`GetCredentialsForIdentity`) would be simpler, but Cognito
 * scopes guest credentials from it down with the managed session policy
 * `AmazonCognitoUnAuthedIdentitiesSessionPolicy`, which allows a fixed list of services (Amazon
 * Location, Polly, Translate, Rekognition, …) and not Lambda: a guest could never invoke the Function
 * URL. The classic flow is not scoped down, so the guest role's own policy is the whole grant; it is
 * empty until `allowInvoke`, and then holds exactly the invoke permissions of the functions given.
 *
 * Both roles trust only `cognito-identity.amazonaws.com`, only for identities of this pool
 * (`aud`) and of their kind (`amr` = `unauthenticated` / `authenticated`).
 */
export class CognitoGuestPool extends Construct {
  public readonly identityPool: identitypool.IdentityPool;
  /** `<region>:<guid>`: what a browser passes to `fromCognitoIdentityPool`. */
  public readonly identityPoolId: string;
  /** The role guests' credentials belong to (its grants live in one customer managed policy). */
  public readonly unauthenticatedRole: iam.IRole;
  /**
   * The role signed-in users' credentials belong to, when `authenticationProviders` are given.
   * Without providers nobody can sign in: the pool then has the identity pool construct's default
   * authenticated role, with no permissions, which no identity can assume.
   */
  public readonly authenticatedRole?: iam.IRole;

  private readonly guestPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: CognitoGuestPoolProps = {}) {
    super(scope, id);
    const description = props.description ?? 'Guest access to a chat Function URL';

    // The roles' trust names the pool, which takes the roles as props: the pool id is read lazily.
    // In the template there is no cycle: the pool names the roles only in its role attachment.
    let poolId: string | undefined;
    const audience = Lazy.string({ produce: () => poolId });
    const trust = (amr: 'unauthenticated' | 'authenticated') =>
      new iam.FederatedPrincipal(
        COGNITO_IDENTITY,
        {
          StringEquals: { [`${COGNITO_IDENTITY}:aud`]: audience },
          'ForAnyValue:StringLike': { [`${COGNITO_IDENTITY}:amr`]: amr },
        },
        'sts:AssumeRoleWithWebIdentity',
      );

    const guestRole = new ManagedPolicyRole(this, 'UnauthenticatedRole', {
      assumedBy: trust('unauthenticated'),
      description: `${description}: guests (unauthenticated identities)`,
    });
    this.unauthenticatedRole = guestRole;
    this.guestPolicy = guestRole.policy;
    if (props.authenticationProviders) {
      this.authenticatedRole = new ManagedPolicyRole(this, 'AuthenticatedRole', {
        assumedBy: trust('authenticated'),
        description: `${description}: signed-in users`,
      });
    }

    this.identityPool = new identitypool.IdentityPool(this, 'Resource', {
      allowUnauthenticatedIdentities: true,
      allowClassicFlow: true,
      unauthenticatedRole: this.unauthenticatedRole,
      authenticatedRole: this.authenticatedRole,
      authenticationProviders: props.authenticationProviders,
    });
    poolId = this.identityPool.identityPoolId;
    this.identityPoolId = this.identityPool.identityPoolId;

    this.node.addValidation({
      validate: () =>
        this.guestPolicy.document.isEmpty
          ? [`CognitoGuestPool ${this.node.path}: guests may do nothing yet; call allowInvoke(chat) with the chat function they may call`]
          : [],
    });

    Validations.of(this.identityPool).acknowledge({
      id: 'AwsSolutions::AwsSolutions-COG7',
      reason:
        'Guest (unauthenticated) access is the purpose of this pool: a public chat without sign-in. The guest role can only invoke the Function URLs passed to allowInvoke (InvokeFunctionUrl with AuthType AWS_IAM, InvokeFunction only via the URL); each caller is rate limited behind the URL.',
    });
  }

  /**
   * Lets guests (and signed-in users, when the pool has providers) call `chat`'s `AWS_IAM` Function URL:
   * `lambda:InvokeFunctionUrl` where `lambda:FunctionUrlAuthType` is `AWS_IAM`, and
   * `lambda:InvokeFunction` only when `lambda:InvokedViaFunctionUrl` is true, both on its function only.
   * Throws for a chat function whose URL is public (JWT auth): guests' IAM credentials would not be checked there.
   *
   * A `BedrockChatFunction` of this app also learns that the guest role's sessions are guests (`addGuestRole`):
   * it counts them per source address and fails closed by default. For an imported function, have its own
   * stack call `addGuestRole` with this pool's `unauthenticatedRole`.
   */
  public allowInvoke(chat: IBedrockChatFunction): iam.Grant {
    const grant = chat.grantInvokeUrl(this.unauthenticatedRole);
    if (chat instanceof BedrockChatFunction) chat.addGuestRole(this.unauthenticatedRole);
    return this.authenticatedRole ? grant.combine(chat.grantInvokeUrl(this.authenticatedRole)) : grant;
  }
}
