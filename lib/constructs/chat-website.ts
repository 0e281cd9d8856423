import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Duration, Fn, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { versionLifecycle } from '../private/bucket-lifecycle';
import { createCustomerManagedKey } from '../private/customer-managed-key';
import { DISTRIBUTION_PATH } from '../private/distribution-path';
import { type BackendConfig, contentSecurityPolicy, type PageConfig, type SignInConfig } from '../website/page-config';
import { CognitoTokenUse } from './chat-auth';

/** Where the prebuilt page is (web/build.mjs): beside `lib/` here, beside `dist/lib/` in the package. */
function chatPageDirectory(): string {
  return path.resolve(__dirname, '..', '..', 'assets', 'chat-web');
}

const RESERVED_PATHS = ['/index.html', '/app.js', '/app.css', '/config.json'];

/** Options every backend of the page takes. */
export interface ChatWebsiteBackendOptions {
  /** The chat function's URL (`BedrockChatFunction.functionUrl`). */
  readonly functionUrl: lambda.IFunctionUrl;
  /**
   * What the page's backend picker shows.
   * @default - a label for the kind of backend
   */
  readonly label?: string;
  /**
   * Model aliases a person may pick (the function's own aliases); the first is the default.
   * @default - no picker: the function's default model
   */
  readonly models?: string[];
}

/** A guest backend: Cognito guest credentials sign each request (SigV4, `AWS_IAM` Function URL). */
export interface ChatWebsiteGuestOptions extends ChatWebsiteBackendOptions {
  /** The identity pool (`CognitoGuestPool.identityPoolId`), `<region>:<guid>`. */
  readonly identityPoolId: string;
  /** The pool's guest role (`CognitoGuestPool.unauthenticatedRole`), assumed with the basic flow. */
  readonly guestRole: iam.IRole;
}

/** An `AWS_IAM` backend signed in the browser with credentials the person types (they never leave the tab). */
export interface ChatWebsiteIamOptions extends ChatWebsiteBackendOptions {}

/** Options of backends that may sit behind the site's own distribution. */
export interface ChatWebsiteRoutableOptions extends ChatWebsiteBackendOptions {
  /**
   * Serve this backend from the site's own distribution under this path (e.g. `/api/chat`), behind its
   * firewall, instead of from its Function URL. CloudFront signs each request with origin access control,
   * so the Function URL must use `AWS_IAM` auth (only this distribution may then invoke it); the page
   * sends the body's SHA-256 in `x-amz-content-sha256`, which CloudFront needs to sign a POST, and a JWT
   * in the `id_token` header, since CloudFront's signature takes the `Authorization` header.
   * @default - the page calls the Function URL directly (cross-origin; the function's CORS must allow the site)
   */
  readonly distributionPath?: string;
}

/** A JWT backend: people sign in (authorization code + PKCE) and the token goes with each request. */
export interface ChatWebsiteJwtOptions extends ChatWebsiteRoutableOptions {
  readonly signIn: ChatWebsiteSignIn;
}

/** A backend that calls Bedrock with the caller's own credentials, sent in the body (`awsCredentials`). */
export interface ChatWebsiteCallerCredentialsOptions extends ChatWebsiteRoutableOptions {
  /**
   * Regions a person may pick, as the function allows them; the first is the default.
   * @default - the stack's region
   */
  readonly allowedRegions?: string[];
}

/** What a backend contributes: its page configuration, the origins the page may fetch, an optional route. */
interface BoundBackend {
  readonly config: BackendConfig;
  readonly connectSources: string[];
  readonly route?: { readonly path: string; readonly functionUrl: lambda.IFunctionUrl };
}

function functionUrlOrigin(functionUrl: lambda.IFunctionUrl): string {
  return `https://${Fn.select(2, Fn.split('/', functionUrl.url))}`;
}

/** One backend the chat page offers; made by the static factories. */
export abstract class ChatWebsiteBackend {
  /** Guests without an account: Cognito guest credentials (basic flow) and SigV4. */
  public static guest(options: ChatWebsiteGuestOptions): ChatWebsiteBackend {
    return new (class extends ChatWebsiteBackend {
      public _bind(_where: string, id: string): BoundBackend {
        const region = Fn.select(0, Fn.split(':', options.identityPoolId));
        return {
          config: {
            ...common(options, id, 'Ask the documents', options.functionUrl.url),
            kind: 'guest',
            region: Stack.of(options.functionUrl).region,
            identityPoolId: options.identityPoolId,
            guestRoleArn: options.guestRole.roleArn,
          },
          connectSources: [
            functionUrlOrigin(options.functionUrl),
            `https://cognito-identity.${region}.amazonaws.com`,
            `https://sts.${region}.amazonaws.com`,
          ],
        };
      }
    })(options.functionUrl, 'guest');
  }

  /** People who have AWS credentials: the page signs with them in the browser. */
  public static iam(options: ChatWebsiteIamOptions): ChatWebsiteBackend {
    return new (class extends ChatWebsiteBackend {
      public _bind(_where: string, id: string): BoundBackend {
        return {
          config: {
            ...common(options, id, 'Chat with your AWS credentials', options.functionUrl.url),
            kind: 'iam',
            region: Stack.of(options.functionUrl).region,
          },
          connectSources: [functionUrlOrigin(options.functionUrl)],
        };
      }
    })(options.functionUrl, 'iam');
  }

  /** Signed-in people: a JWT chat (`POST /chat`). */
  public static jwt(options: ChatWebsiteJwtOptions): ChatWebsiteBackend {
    return new (class extends ChatWebsiteBackend {
      public _bind(where: string, id: string): BoundBackend {
        const routed = checkRoute(where, options);
        const signIn = options.signIn._render();
        return {
          config: {
            ...common(options, id, 'Signed-in chat', routed ? `${routed}/` : options.functionUrl.url),
            kind: 'jwt',
            tokenHeader: routed ? 'id_token' : 'authorization',
            signIn: signIn.config,
          },
          connectSources: [...(routed ? [] : [functionUrlOrigin(options.functionUrl)]), ...signIn.connectSources],
          ...(routed ? { route: { path: routed, functionUrl: options.functionUrl } } : {}),
        };
      }
    })(options.functionUrl, 'jwt');
  }

  /** People who bring their own AWS credentials, sent in the body to a function that calls Bedrock with them. */
  public static callerCredentials(options: ChatWebsiteCallerCredentialsOptions): ChatWebsiteBackend {
    return new (class extends ChatWebsiteBackend {
      public _bind(where: string, id: string): BoundBackend {
        const routed = checkRoute(where, options);
        return {
          config: {
            ...common(options, id, 'Chat with your AWS credentials', routed ? `${routed}/` : options.functionUrl.url),
            kind: 'caller-credentials',
            allowedRegions: options.allowedRegions ?? [Stack.of(options.functionUrl).region],
          },
          connectSources: routed ? [] : [functionUrlOrigin(options.functionUrl)],
          ...(routed ? { route: { path: routed, functionUrl: options.functionUrl } } : {}),
        };
      }
    })(options.functionUrl, 'caller-credentials');
  }

  protected constructor(
    /** The backend's Function URL. */
    public readonly functionUrl: lambda.IFunctionUrl,
    /** `guest`, `iam`, `jwt` or `caller-credentials`: the page's name for this kind of backend. */
    public readonly kind: string,
  ) {}

  /**
   * The page configuration and CSP sources of this backend.
   * @internal
   */
  public abstract _bind(where: string, id: string): BoundBackend;
}

function common(
  options: ChatWebsiteBackendOptions,
  id: string,
  label: string,
  url: string,
): { id: string; label: string; url: string; models: string[] } {
  return { id, label: options.label ?? label, url, models: options.models ?? [] };
}

function checkRoute(where: string, options: ChatWebsiteRoutableOptions): string | undefined {
  const routed = options.distributionPath;
  if (routed === undefined) return undefined;
  if (!DISTRIBUTION_PATH.test(routed) || RESERVED_PATHS.includes(routed)) {
    throw new Error(
      `${where}: distributionPath '${routed}' must be a path such as '/api/chat' (lower-case letters, digits, dashes; no trailing slash; not a page file)`,
    );
  }
  if (options.functionUrl.authType !== lambda.FunctionUrlAuthType.AWS_IAM) {
    throw new Error(
      `${where}: the backend at distributionPath '${routed}' has a Function URL with auth type ${options.functionUrl.authType}. CloudFront's origin access control ` +
        'signs requests to a Function URL only with AWS_IAM auth; give the function an AWS_IAM URL (only this distribution will be allowed to invoke it), or drop distributionPath.',
    );
  }
  return routed;
}

/** Options of the Cognito sign-in. */
export interface ChatWebsiteCognitoSignInOptions {
  /**
   * OAuth scopes requested; the app client must allow each of them.
   * @default ['openid'] - all an access token needs to call the chat
   */
  readonly scopes?: string[];
  /**
   * Which token the page sends: the one the chat function verifies (`ChatAuth.cognito`'s `tokenUse`).
   * @default CognitoTokenUse.ACCESS - as `ChatAuth.cognito` expects by default
   */
  readonly tokenUse?: CognitoTokenUse;
}

/** A generic OIDC provider's endpoints for the authorization code flow with PKCE. */
export interface ChatWebsiteOidcSignInOptions {
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  /** @default - no sign-out redirect */
  readonly logoutUrl?: string;
  /** The public client's id (no secret: the page cannot keep one). */
  readonly clientId: string;
  /** @default ['openid', 'email'] */
  readonly scopes?: string[];
  /**
   * Which token the page sends: ID tokens (`aud` = the client) are what every OIDC provider issues as JWTs; choose
   * `ACCESS` for a provider whose access tokens are JWTs for this API.
   * @default CognitoTokenUse.ID
   */
  readonly tokenUse?: CognitoTokenUse;
}

/**
 * How people sign in to a JWT backend: the authorization code flow with PKCE, the page as a public client.
 * The app client must list the site's URL (`ChatWebsite.url` + `/`) as a callback and sign-out URL.
 */
export abstract class ChatWebsiteSignIn {
  /** Cognito managed login (hosted UI) of a user pool domain. */
  public static cognito(
    domain: cognito.UserPoolDomain,
    client: cognito.IUserPoolClient,
    options: ChatWebsiteCognitoSignInOptions = {},
  ): ChatWebsiteSignIn {
    const base = domain.baseUrl();
    return ChatWebsiteSignIn.oidc({
      authorizeUrl: `${base}/oauth2/authorize`,
      tokenUrl: `${base}/oauth2/token`,
      logoutUrl: `${base}/logout`,
      clientId: client.userPoolClientId,
      scopes: options.scopes ?? ['openid'],
      tokenUse: options.tokenUse ?? CognitoTokenUse.ACCESS,
    });
  }

  /** Any OIDC provider. */
  public static oidc(options: ChatWebsiteOidcSignInOptions): ChatWebsiteSignIn {
    return new (class extends ChatWebsiteSignIn {
      public _render(): { config: SignInConfig; connectSources: string[] } {
        const tokenOrigin = Token.isUnresolved(options.tokenUrl)
          ? Fn.join('', ['https://', Fn.select(2, Fn.split('/', options.tokenUrl))])
          : new URL(options.tokenUrl).origin;
        return {
          config: {
            authorizeUrl: options.authorizeUrl,
            tokenUrl: options.tokenUrl,
            ...(options.logoutUrl ? { logoutUrl: options.logoutUrl } : {}),
            clientId: options.clientId,
            scopes: options.scopes ?? ['openid', 'email'],
            tokenUse: options.tokenUse === CognitoTokenUse.ACCESS ? 'access' : 'id',
          },
          connectSources: [tokenOrigin],
        };
      }
    })();
  }

  /**
   * The page's sign-in configuration and the origin it fetches tokens from.
   * @internal
   */
  public abstract _render(): { config: SignInConfig; connectSources: string[] };
}

/** Options of the firewall the construct creates. */
export interface ChatWebsiteFirewallOptions {
  /**
   * Requests one address may make in any 5 minutes before it is blocked (the whole site: page and backends).
   * @default 300
   */
  readonly requestsPerFiveMinutes?: number;
}

/** AWS WAF in front of the distribution. */
export abstract class ChatWebsiteFirewall {
  /**
   * A web ACL created with the site: a rate-based rule per address and the AWS managed rule groups for IP
   * reputation, common exploits and known bad inputs, logged (tokens and credentials redacted) to a
   * CloudWatch log group. CloudFront web ACLs live in us-east-1: the stack must be there.
   */
  public static create(options: ChatWebsiteFirewallOptions = {}): ChatWebsiteFirewall {
    return new (class extends ChatWebsiteFirewall {
      public _bind(scope: ChatWebsite, removalPolicy: RemovalPolicy): string {
        return createFirewall(scope, options.requestsPerFiveMinutes ?? 300, removalPolicy);
      }
    })();
  }

  /** A web ACL (scope `CLOUDFRONT`) that exists already, e.g. from a stack in us-east-1. */
  public static fromWebAclArn(webAclArn: string): ChatWebsiteFirewall {
    return new (class extends ChatWebsiteFirewall {
      public _bind(scope: ChatWebsite): string {
        if (!Token.isUnresolved(webAclArn) && !/^arn:aws[\w-]*:wafv2:us-east-1:\d{12}:global\/webacl\/.+/.test(webAclArn)) {
          throw new Error(
            `ChatWebsite ${scope.node.path}: '${webAclArn}' is not a CloudFront web ACL ARN (arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>)`,
          );
        }
        return webAclArn;
      }
    })();
  }

  /**
   * The web ACL's ARN.
   * @internal
   */
  public abstract _bind(scope: ChatWebsite, removalPolicy: RemovalPolicy): string;
}

export interface ChatWebsiteProps {
  /** The backends the page offers, in order: the first is selected when the page opens. */
  readonly backends: ChatWebsiteBackend[];
  /**
   * The page's heading and title.
   * @default 'Chat'
   */
  readonly title?: string;
  /**
   * Custom domain names (with `certificate`, an ACM certificate in us-east-1 covering them). With a
   * certificate, viewers need TLS 1.2 or newer (`TLSv1.2_2021`).
   * @default - the distribution's cloudfront.net name
   */
  readonly domainNames?: string[];
  /** @default - none (required with `domainNames`) */
  readonly certificate?: acm.ICertificate;
  /** @default - no firewall */
  readonly firewall?: ChatWebsiteFirewall;
  /**
   * For the buckets, their key and the firewall's log group.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /** @default cloudfront.PriceClass.PRICE_CLASS_100 */
  readonly priceClass?: cloudfront.PriceClass;
}

/**
 * The chat page on a private S3 bucket behind CloudFront.
 *
 * Creates: a bucket (KMS, TLS only, public access blocked, versioned, access-logged) that only this
 * distribution may read (origin access control); a distribution that redirects HTTP to HTTPS, with access
 * logs; a response headers policy (HSTS, `frame-ancestors 'none'`, `X-Frame-Options: DENY`, no referrer,
 * `nosniff`, and a Content-Security-Policy whose `connect-src` names only the backends' Function URLs and
 * Cognito endpoints); the page and a `config.json` written at deploy time from the backends' values;
 * optionally AWS WAF and backends served under paths of the same distribution.
 */
export class ChatWebsite extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly logBucket: s3.Bucket;
  public readonly distribution: cloudfront.Distribution;
  public readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  /** `https://<first domain name or the distribution's name>`: register `url + '/'` as the sign-in callback. */
  public readonly url: string;
  /** The Content-Security-Policy the site sends. */
  public readonly contentSecurityPolicy: string;
  /** The web ACL in front of the distribution, if any. */
  public readonly webAclArn?: string;

  constructor(scope: Construct, id: string, props: ChatWebsiteProps) {
    super(scope, id);
    const where = `ChatWebsite ${this.node.path}`;
    if (props.backends.length === 0)
      throw new Error(`${where}: give at least one backend (ChatWebsiteBackend.guest(), .iam(), .jwt() or .callerCredentials())`);
    if ((props.domainNames?.length ?? 0) > 0 !== (props.certificate !== undefined)) {
      throw new Error(`${where}: domainNames and certificate go together: give both (a us-east-1 ACM certificate covering the names) or neither`);
    }
    const pageDir = chatPageDirectory();
    if (!existsSync(path.join(pageDir, 'index.html'))) {
      throw new Error(`The chat page is missing at ${pageDir}. Run 'npm run build:web' (or 'npm run build') first.`);
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    const counts = new Map<string, number>();
    const bound = props.backends.map((backend) => {
      const n = (counts.get(backend.kind) ?? 0) + 1;
      counts.set(backend.kind, n);
      return backend._bind(where, n === 1 ? backend.kind : `${backend.kind}-${n}`);
    });
    const routes = bound.flatMap((b) => (b.route ? [b.route] : []));
    const paths = routes.map((r) => r.path);
    const clash = paths.find((p, i) => paths.some((q, j) => j !== i && (q === p || q.startsWith(`${p}/`))));
    if (clash) throw new Error(`${where}: two backends share or nest distributionPath '${clash}'; give each its own path`);

    this.logBucket = new s3.Bucket(this, 'Logs', {
      // CloudFront standard logs are delivered with an ACL (the awslogsdelivery account) and cannot use SSE-KMS
      // without key grants to that account; S3 server access logs cannot use SSE-KMS at all.
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      versioned: true,
      lifecycleRules: versionLifecycle(),
      removalPolicy,
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      // The page is public by purpose (anyone may load it): SSE-S3. SSE-KMS would add a key whose policy
      // must let CloudFront decrypt for every distribution of the account (aws-cdk-lib cannot name this one
      // without a dependency cycle) and protect nothing secret.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: versionLifecycle(),
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 'bucket/',
      removalPolicy,
    });

    this.contentSecurityPolicy = contentSecurityPolicy(bound.flatMap((b) => b.connectSources));
    this.responseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      comment: 'Chat page: HSTS, CSP (connect-src: the chat backends and Cognito only), no framing, no referrer',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: this.contentSecurityPolicy, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, preload: true, override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        contentTypeOptions: { override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });

    this.webAclArn = props.firewall?._bind(this, removalPolicy);
    const additionalBehaviors: Record<string, cloudfront.BehaviorOptions> = {};
    if (routes.length > 0) {
      // The function sees the path it would see on its own URL: the prefix is removed at the edge.
      const stripPrefix = new cloudfront.Function(this, 'BackendPaths', {
        comment: 'Removes the backend path prefix before the request reaches the Function URL',
        runtime: cloudfront.FunctionRuntime.JS_2_0,
        code: cloudfront.FunctionCode.fromInline(
          `var PREFIXES = ${JSON.stringify(paths)};\n` +
            'function handler(event) {\n' +
            '  var request = event.request;\n' +
            '  for (var i = 0; i < PREFIXES.length; i++) {\n' +
            '    var p = PREFIXES[i];\n' +
            "    if (request.uri === p || request.uri.indexOf(p + '/') === 0) { request.uri = request.uri.slice(p.length) || '/'; break; }\n" +
            '  }\n' +
            '  return request;\n' +
            '}\n',
        ),
      });
      for (const [i, route] of routes.entries()) {
        const behavior: cloudfront.BehaviorOptions = {
          origin: origins.FunctionUrlOrigin.withOriginAccessControl(route.functionUrl, {
            originId: `Backend${i}`,
            // A streamed answer may pause between chunks while the model thinks.
            readTimeout: Duration.seconds(60),
          }),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicy: this.responseHeadersPolicy,
          compress: false,
          functionAssociations: [{ function: stripPrefix, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
        };
        additionalBehaviors[route.path] = behavior;
        additionalBehaviors[`${route.path}/*`] = behavior;
      }
    }

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `Chat page ${this.node.path}`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.responseHeadersPolicy,
        compress: true,
      },
      additionalBehaviors,
      ...(props.certificate
        ? { certificate: props.certificate, domainNames: props.domainNames, minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 }
        : {}),
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: props.priceClass ?? cloudfront.PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
      ...(this.webAclArn ? { webAclId: this.webAclArn } : {}),
    });
    this.url = `https://${props.domainNames?.[0] ?? this.distribution.distributionDomainName}`;

    const pageConfig: PageConfig = { title: props.title ?? 'Chat', backends: bound.map((b) => b.config) };
    const deployment = new s3deploy.BucketDeployment(this, 'Page', {
      sources: [s3deploy.Source.asset(pageDir), s3deploy.Source.jsonData('config.json', pageConfig)],
      destinationBucket: this.bucket,
      // Unhashed file names: browsers revalidate (ETag) so a deployment shows at once.
      cacheControl: [s3deploy.CacheControl.noCache()],
      distribution: this.distribution,
      distributionPaths: ['/*'],
      prune: true,
      memoryLimit: 256,
    });
    this.acknowledgeInherentFindings(props);
    acknowledgeDeploymentHelper(this, deployment);
  }

  private acknowledgeInherentFindings(props: ChatWebsiteProps): void {
    const logsNotKms =
      'CloudFront standard logs and S3 server access logs are delivered by AWS log delivery, which cannot write to an SSE-KMS bucket without key grants to delivery accounts; the log bucket uses SSE-S3, TLS only, versioned, no public access.';
    const logsNotReplicated =
      "Access logs of a static page: losing them in a regional outage loses no data the service needs. Versioning protects them against overwrite and deletion; cross-region replication is the owner's decision.";
    const logsNotLocked =
      'Object Lock keeps every log object (and version) undeletable for its retention period, which a stage that is destroyed cannot honour; versioning and the TLS-only, no-public-access policy protect the logs.';
    Validations.of(this.logBucket).acknowledge(
      { id: 'NIST.800.53.R5::NIST.800.53.R5-S3DefaultEncryptionKMS', reason: logsNotKms },
      { id: 'HIPAA.Security::HIPAA.Security-S3DefaultEncryptionKMS', reason: logsNotKms },
      { id: 'PCI.DSS.321::PCI.DSS.321-S3DefaultEncryptionKMS', reason: logsNotKms },
      { id: 'NIST.800.53.R4::NIST.800.53.R4-S3BucketReplicationEnabled', reason: logsNotReplicated },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled', reason: logsNotReplicated },
      { id: 'HIPAA.Security::HIPAA.Security-S3BucketReplicationEnabled', reason: logsNotReplicated },
      { id: 'PCI.DSS.321::PCI.DSS.321-S3BucketReplicationEnabled', reason: logsNotReplicated },
      { id: 'NIST.800.53.R4::NIST.800.53.R4-S3BucketDefaultLockEnabled', reason: logsNotLocked },
    );
    const pageNotReplicated =
      'The page is a build output redeployed by every `cdk deploy` from the repository; the bucket is versioned. Cross-region replication of a static page adds a second key and bucket for no data that could be lost.';
    const pageIsPublic =
      'The bucket holds the public chat page (HTML, JavaScript, CSS and a config.json of public endpoints) that CloudFront serves to anyone: SSE-S3 encrypts it at rest; a KMS key would protect nothing secret and need a key policy open to every distribution of the account.';
    const pageNotLocked =
      'Every deployment replaces the page files (BucketDeployment prunes the old ones): Object Lock would make them undeletable. The page is rebuilt from the repository; versioning keeps earlier files recoverable.';
    Validations.of(this.bucket).acknowledge(
      { id: 'NIST.800.53.R5::NIST.800.53.R5-S3DefaultEncryptionKMS', reason: pageIsPublic },
      { id: 'HIPAA.Security::HIPAA.Security-S3DefaultEncryptionKMS', reason: pageIsPublic },
      { id: 'PCI.DSS.321::PCI.DSS.321-S3DefaultEncryptionKMS', reason: pageIsPublic },
      { id: 'NIST.800.53.R4::NIST.800.53.R4-S3BucketReplicationEnabled', reason: pageNotReplicated },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled', reason: pageNotReplicated },
      { id: 'HIPAA.Security::HIPAA.Security-S3BucketReplicationEnabled', reason: pageNotReplicated },
      { id: 'PCI.DSS.321::PCI.DSS.321-S3BucketReplicationEnabled', reason: pageNotReplicated },
      { id: 'NIST.800.53.R4::NIST.800.53.R4-S3BucketDefaultLockEnabled', reason: pageNotLocked },
    );
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions::AwsSolutions-CFR1',
      reason:
        'The chat page is for everyone the owner serves, worldwide by default; restricting countries is a business decision (a geo match rule in the firewall or the distribution) this construct cannot make.',
    });
    if (!props.certificate) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions::AwsSolutions-CFR4',
        reason:
          'Without a custom domain the distribution serves the cloudfront.net certificate, whose security policy CloudFront fixes at TLSv1 whatever is configured; browsers that can run the page negotiate TLS 1.2 or 1.3. Give domainNames and a certificate to enforce TLSv1.2_2021.',
      });
    }
    if (!props.firewall) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions::AwsSolutions-CFR2',
        reason:
          'The firewall is optional (ChatWebsiteFirewall.create() or fromWebAclArn()); the page is static, and the chat backends rate-limit each caller themselves.',
      });
    }
  }
}

function createFirewall(scope: ChatWebsite, limit: number, removalPolicy: RemovalPolicy): string {
  const region = Stack.of(scope).region;
  if (!Token.isUnresolved(region) && region !== 'us-east-1') {
    throw new Error(
      `ChatWebsite ${scope.node.path}: a CloudFront web ACL must be created in us-east-1, and this stack is in ${region}. ` +
        'Create it in a us-east-1 stack and pass ChatWebsiteFirewall.fromWebAclArn(arn), or deploy the website stack to us-east-1.',
    );
  }
  if (!Number.isInteger(limit) || limit < 10 || limit > 2_000_000_000) {
    throw new Error(`ChatWebsite ${scope.node.path}: requestsPerFiveMinutes must be an integer from 10 to 2,000,000,000, got ${limit}`);
  }
  const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
    cloudWatchMetricsEnabled: true,
    metricName: name,
    sampledRequestsEnabled: true,
  });
  const managed = (priority: number, name: string, overrides: wafv2.CfnWebACL.RuleActionOverrideProperty[] = []): wafv2.CfnWebACL.RuleProperty => ({
    name,
    priority,
    overrideAction: { none: {} },
    statement: { managedRuleGroupStatement: { vendorName: 'AWS', name, ...(overrides.length > 0 ? { ruleActionOverrides: overrides } : {}) } },
    visibilityConfig: visibility(name),
  });
  const acl = new wafv2.CfnWebACL(scope, 'Firewall', {
    scope: 'CLOUDFRONT',
    defaultAction: { allow: {} },
    visibilityConfig: visibility('ChatWebsite'),
    rules: [
      {
        name: 'RateLimitPerAddress',
        priority: 0,
        action: { block: {} },
        statement: { rateBasedStatement: { limit, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
        visibilityConfig: visibility('RateLimitPerAddress'),
      },
      managed(1, 'AWSManagedRulesAmazonIpReputationList'),
      // Chat messages are text about anything, code included: the body rules would block questions that quote
      // HTML or exceed 8 KB (20 turns of history do). They count instead; the runtime bounds the body (64 KiB)
      // and the page renders every answer as text.
      managed(2, 'AWSManagedRulesCommonRuleSet', [
        { name: 'SizeRestrictions_BODY', actionToUse: { count: {} } },
        { name: 'CrossSiteScripting_BODY', actionToUse: { count: {} } },
      ]),
      managed(3, 'AWSManagedRulesKnownBadInputsRuleSet'),
    ],
  });
  const logKey = createCustomerManagedKey(scope, 'FirewallLogKey', {
    description: `Encrypts the firewall logs of ${scope.node.path}`,
    removalPolicy,
  });
  // kms:Describe* carries no encryption context, so under this condition it could never be allowed (and CloudWatch
  // Logs does not need it to encrypt): it is not granted.
  logKey.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(`logs.${Stack.of(scope).region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': `arn:${Stack.of(scope).partition}:logs:${Stack.of(scope).region}:${Stack.of(scope).account}:log-group:aws-waf-logs-*`,
        },
      },
    }),
  );
  // WAF delivers only to log groups whose name starts with aws-waf-logs-.
  const logGroup = new logs.LogGroup(scope, 'FirewallLogs', {
    logGroupName: `aws-waf-logs-${Stack.of(scope).stackName}-${scope.node.addr.slice(0, 8)}`,
    retention: logs.RetentionDays.ONE_YEAR,
    encryptionKey: logKey,
    removalPolicy,
  });
  new wafv2.CfnLoggingConfiguration(scope, 'FirewallLogging', {
    resourceArn: acl.attrArn,
    logDestinationConfigs: [logGroup.logGroupArn],
    // Tokens and credentials never reach a log.
    redactedFields: ['authorization', 'id_token', 'x-amz-security-token', 'cookie'].map((name) => ({ singleHeader: { Name: name } })),
  });
  return acl.attrArn;
}

/** Each BucketDeployment handler (one per stack and memory size) is acknowledged once, whichever site asked first. */
const acknowledgedHelpers = new WeakSet<Construct>();

/**
 * The findings on aws-cdk-lib's `BucketDeployment` handler: a custom resource function that aws-cdk-lib
 * builds (runtime, role and policy included) and runs only during deployments, to copy the page and
 * `config.json` into the bucket and invalidate the distribution. Its role's wildcard findings are
 * computed from the role's own policy, so each acknowledgement names one finding exactly.
 */
function acknowledgeDeploymentHelper(site: ChatWebsite, deployment: s3deploy.BucketDeployment): void {
  const role = deployment.handlerRole;
  const handler = role.node.scope as Construct | undefined;
  if (!handler || acknowledgedHelpers.has(handler)) return;
  acknowledgedHelpers.add(handler);
  const stack = Stack.of(site);
  const policy = role.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined;
  const helper = "aws-cdk-lib's BucketDeployment handler (a custom resource that runs only while CloudFormation deploys the page)";
  if (policy) {
    const document = stack.resolve(policy.document) as { Statement?: Array<{ Effect?: string; Action?: unknown; Resource?: unknown }> };
    const wildcards = new Set<string>();
    for (const statement of document.Statement ?? []) {
      if (statement.Effect !== 'Allow') continue;
      for (const action of ([] as unknown[]).concat(statement.Action ?? []))
        if (typeof action === 'string' && action.includes('*')) wildcards.add(`Action::${action}`);
      for (const resource of ([] as unknown[]).concat(statement.Resource ?? [])) {
        const flat = flattenReference(resource);
        if (flat.includes('*')) wildcards.add(`Resource::${flat}`);
      }
    }
    Validations.of(policy).acknowledge(
      ...[...wildcards].map((finding) => ({
        id: `AwsSolutions::AwsSolutions-IAM5[${finding}]`,
        reason: finding.startsWith('Action::')
          ? `${helper} is granted with aws-cdk-lib's grantRead/grantReadWrite action groups (${finding.slice(8)}) on the CDK asset bucket and the page bucket only.`
          : finding === 'Resource::*'
            ? `${helper}: CloudFront invalidation actions have no resource-level permissions, so aws-cdk-lib grants them on *; nothing else in the policy is unscoped.`
            : `${helper} must name objects that do not exist yet: every key of one bucket (${finding.slice(10)}), the CDK asset bucket to read the page archive from or the page bucket to write it to.`,
      })),
      ...['NIST.800.53.R4', 'NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'].map((pack) => ({
        id: `${pack}::${pack}-IAMNoInlinePolicy`,
        reason: `${helper} gets its role and inline policy from aws-cdk-lib; the policy holds only the asset-read, page-write and invalidation grants.`,
      })),
    );
  }
  Validations.of(role).acknowledge({
    id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: `${helper} writes its own logs through the AWS managed basic execution policy that aws-cdk-lib attaches; it has no other managed policy.`,
  });
  const runtime = `${helper} runs on the runtime aws-cdk-lib chooses for it and is upgraded with aws-cdk-lib.`;
  const onlyCloudFormation = `${helper} is invoked only by CloudFormation, synchronously, a few times per deployment: no asynchronous event can be lost to a DLQ and no concurrency limit is needed.`;
  const noVpc = `${helper} calls only S3 and CloudFront APIs during deployments and handles no data of the chat; aws-cdk-lib creates it outside a VPC.`;
  Validations.of(handler).acknowledge(
    { id: 'AwsSolutions::AwsSolutions-L1', reason: runtime },
    { id: 'Serverless::Serverless-LambdaLatestVersion', reason: runtime },
    { id: 'Serverless::Serverless-LambdaDLQ', reason: onlyCloudFormation },
    { id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ', reason: onlyCloudFormation },
    { id: 'HIPAA.Security::HIPAA.Security-LambdaDLQ', reason: onlyCloudFormation },
    { id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency', reason: onlyCloudFormation },
    { id: 'HIPAA.Security::HIPAA.Security-LambdaConcurrency', reason: onlyCloudFormation },
    { id: 'NIST.800.53.R4::NIST.800.53.R4-LambdaInsideVPC', reason: noVpc },
    { id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaInsideVPC', reason: noVpc },
    { id: 'HIPAA.Security::HIPAA.Security-LambdaInsideVPC', reason: noVpc },
    { id: 'PCI.DSS.321::PCI.DSS.321-LambdaInsideVPC', reason: noVpc },
    {
      id: 'Serverless::Serverless-LambdaTracing',
      reason: `${helper} runs a file copy during deployments; tracing it would record nothing about the chat and aws-cdk-lib does not expose the setting.`,
    },
  );
  const logGroup = handler.node.tryFindChild('LogGroup');
  if (logGroup) {
    const logs = `${helper} logs file names it copies, never page content or secrets; aws-cdk-lib creates its log group with the service's default encryption.`;
    Validations.of(logGroup).acknowledge(
      { id: 'NIST.800.53.R4::NIST.800.53.R4-CloudWatchLogGroupEncrypted', reason: logs },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-CloudWatchLogGroupEncrypted', reason: logs },
      { id: 'HIPAA.Security::HIPAA.Security-CloudWatchLogGroupEncrypted', reason: logs },
      { id: 'PCI.DSS.321::PCI.DSS.321-CloudWatchLogGroupEncrypted', reason: logs },
    );
  }
}

/** A CloudFormation value as cdk-nag names it in a finding (`<Logical.Arn>`, `<AWS::Partition>`, joins flattened). */
function flattenReference(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const value = node as Record<string, unknown>;
  if (value['Fn::Join']) {
    const [delimiter, items] = value['Fn::Join'] as [string, unknown[]];
    return items.map(flattenReference).join(delimiter);
  }
  if (value['Fn::Sub']) return flattenReference(value['Fn::Sub']);
  if (value['Fn::GetAtt']) {
    const [resource, attribute] = value['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenReference(resource)}.${flattenReference(attribute)}>`;
  }
  if (value['Fn::ImportValue']) return flattenReference(value['Fn::ImportValue']);
  if (value.Ref) return `<${flattenReference(value.Ref)}>`;
  return JSON.stringify(node);
}
