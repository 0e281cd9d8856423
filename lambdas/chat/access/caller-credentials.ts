/**
 * The caller's own AWS credentials, sent in the request body as
 * `awsCredentials: { accessKeyId, secretAccessKey, sessionToken?, region? }`. Formats are checked and the region
 * must be one the deployment allows before any client exists, so no endpoint is ever derived from unchecked
 * input. Messages never quote a value: only the field names.
 */
import { ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN } from '../../../contract/patterns';
import { ChatError } from '../http/errors';

/** The static credentials of one request: kept in a local variable of that request, never logged or stored. */
export interface CallerCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface CallerAccess {
  readonly credentials: CallerCredentials;
  readonly region: string;
}

/** The body field the credentials travel in. */
export const CREDENTIALS_FIELD = 'awsCredentials';

export function readCallerCredentials(body: unknown, allowedRegions: readonly string[]): CallerAccess {
  const value = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[CREDENTIALS_FIELD] : undefined;
  if (value === undefined || value === null) {
    throw new ChatError(
      400,
      'credentials_required',
      `This chat calls Amazon Bedrock with your own AWS credentials: send "${CREDENTIALS_FIELD}": { "accessKeyId", "secretAccessKey", ` +
        `"sessionToken" (for temporary credentials), "region" (one of ${allowedRegions.join(', ')}) } with each request.`,
    );
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ChatError(400, 'invalid_body', `"${CREDENTIALS_FIELD}" must be an object with accessKeyId and secretAccessKey.`);
  }
  const c = value as Record<string, unknown>;
  const malformed = (field: string, rule: string): ChatError => new ChatError(400, 'invalid_body', `${CREDENTIALS_FIELD}.${field} ${rule}.`);
  if (typeof c.accessKeyId !== 'string' || typeof c.secretAccessKey !== 'string') {
    throw new ChatError(400, 'credentials_required', `"${CREDENTIALS_FIELD}" needs both accessKeyId and secretAccessKey.`);
  }
  if (!ACCESS_KEY_ID.test(c.accessKeyId)) throw malformed('accessKeyId', 'is not an AWS access key id (AKIA… or ASIA…)');
  if (!SECRET_ACCESS_KEY.test(c.secretAccessKey)) throw malformed('secretAccessKey', 'is not an AWS secret access key');
  if (c.sessionToken !== undefined && c.sessionToken !== null && (typeof c.sessionToken !== 'string' || !SESSION_TOKEN.test(c.sessionToken))) {
    throw malformed('sessionToken', 'is not an AWS session token');
  }
  if (c.accessKeyId.startsWith('ASIA') && typeof c.sessionToken !== 'string') {
    throw new ChatError(400, 'credentials_required', `Temporary credentials (ASIA…) need their ${CREDENTIALS_FIELD}.sessionToken.`);
  }
  const region = c.region ?? allowedRegions[0];
  if (typeof region !== 'string' || !allowedRegions.includes(region)) {
    throw new ChatError(400, 'region_not_allowed', `${CREDENTIALS_FIELD}.region must be one of ${allowedRegions.join(', ')}.`);
  }
  return {
    credentials: {
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretAccessKey,
      ...(typeof c.sessionToken === 'string' ? { sessionToken: c.sessionToken } : {}),
    },
    region,
  };
}
