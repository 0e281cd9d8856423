/**
 * Id, alias, claim and algorithm patterns, checked by the constructs at synth and by the runtime at init
 * (and, where callers send them, per request).
 */

/**
 * A model alias (`{ "model": "haiku" }`): a leading letter, because JSON.parse moves integer-like keys to the
 * front of an object and would silently change which alias is the default.
 */
export const MODEL_ALIAS = /^[a-z][a-z0-9._-]{0,31}$/;
export const MODEL_ALIAS_RULE = "1-32 lower-case letters, digits, '.', '_' or '-', starting with a letter";

/** What Converse accepts as `modelId`: a foundation model id, an inference profile id, or an ARN. */
export const MODEL_INVOCATION_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,2047}$/;

/** A Bedrock agent id or agent alias id (Bedrock Agent Runtime API: up to 10 letters or digits; `TSTALIASID` is the draft alias). */
export const AGENT_RESOURCE_ID = /^[0-9a-zA-Z]{1,10}$/;

/** A knowledge base id: exactly 10 letters or digits. */
export const KNOWLEDGE_BASE_ID = /^[0-9a-zA-Z]{10}$/;

/** A JWT claim name the handler can require (`email`, `cognito:username`, …). */
export const CLAIM_NAME = /^[A-Za-z0-9_:.-]{1,64}$/;

/**
 * Claims Cognito puts in ID tokens only: an access token never carries them, so requiring one of them of access tokens
 * refuses every token (refused at synth by `ChatAuth.cognito` and the stage configuration).
 */
export const COGNITO_ID_TOKEN_ONLY_CLAIMS: readonly string[] = [
  'aud',
  'at_hash',
  'cognito:username',
  'cognito:preferred_role',
  'cognito:roles',
  'identities',
  'email',
  'email_verified',
  'phone_number',
  'phone_number_verified',
  'name',
  'given_name',
  'family_name',
  'middle_name',
  'nickname',
  'preferred_username',
  'profile',
  'picture',
  'website',
  'gender',
  'birthdate',
  'zoneinfo',
  'locale',
  'address',
  'updated_at',
];

/** Asymmetric JWS algorithms a deployment may allow; `none` and HMAC never. */
export const ASYMMETRIC_ALGORITHMS: readonly string[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** A DynamoDB table name. */
export const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/**
 * An AWS region name: `eu-west-1`, `us-gov-west-1`, `cn-northwest-1`, and the partitions whose names have more
 * parts or a longer prefix (`us-isob-east-1`, `eusc-de-east-1`). `AWS_REGION` is set by Lambda itself, so the
 * runtime must not refuse a real one.
 */
export const REGION = /^[a-z]{2,4}(-[a-z]+)+-\d+$/;

/** A rate-limit namespace: what prefixes every counter key of a function (see env.ts). */
export const RATE_LIMIT_NAMESPACE = /^[A-Za-z0-9_.-]{1,64}$/;

/** An IAM role ARN: partition, account, then the role name after its path (`role/path/Name`). */
export const IAM_ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:[\x21-\x7e]*\/)?([\w+=,.@-]{1,64})$/;

/** The ARN of an assumed-role session, as `requestContext.authorizer.iam.userArn` carries it; the session name is the caller's choice. */
export const ASSUMED_ROLE_ARN = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([\w+=,.@-]{1,64})\/(.+)$/;

/** A guardrail id, or its ARN (what Converse's `guardrailConfig.guardrailIdentifier` accepts). */
export const GUARDRAIL_IDENTIFIER = /^(([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail\/[a-z0-9]+))$/;

/** A guardrail version: a number from 1, or `DRAFT`. */
export const GUARDRAIL_VERSION = /^(([1-9][0-9]{0,7})|(DRAFT))$/;

/** An STS role session name. */
export const ROLE_SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

/** An `sts:ExternalId` value. */
export const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

/** An access key id: long-term (`AKIA`) or temporary (`ASIA`). */
export const ACCESS_KEY_ID = /^(AKIA|ASIA)[A-Z0-9]{12,124}$/;

/** A secret access key (40 characters of base64 from IAM and STS; some room either side). */
export const SECRET_ACCESS_KEY = /^[A-Za-z0-9/+=]{16,128}$/;

/** A session token (base64 from STS, some kilobytes at most). */
export const SESSION_TOKEN = /^[A-Za-z0-9/+=_-]{16,8192}$/;

/** A knowledge base's data source id, as Bedrock assigns it. */
export const DATA_SOURCE_ID = /^[0-9a-zA-Z]{10}$/;
