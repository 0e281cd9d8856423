/**
 * STS `AssumeRole` in the awsQuery protocol (form POST to `/`, XML answer), as `@aws-sdk/client-sts` speaks it when
 * pointed here with `AWS_ENDPOINT_URL_STS`. Errors are STS's `ErrorResponse` documents.
 */
import type { ServiceError } from './faults';
import { type EmulatorPrincipal, type PrincipalTable, STS_AUTH_ERRORS } from './principals';
import type { ResponseLike } from './wire';

const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

/** Whether a request is an STS query call (form-encoded POST to `/`). */
export function isStsRequest(method: string | undefined, path: string, contentType: string | undefined): boolean {
  return method === 'POST' && path === '/' && (contentType ?? '').startsWith('application/x-www-form-urlencoded');
}

export function handleSts(
  table: PrincipalTable,
  caller: EmulatorPrincipal & { arn: string },
  body: Buffer,
  res: ResponseLike,
  requestId: string,
  log: (line: string) => void,
): void {
  const form = new URLSearchParams(body.toString('utf8'));
  const action = form.get('Action') ?? '';
  if (action !== 'AssumeRole') {
    writeStsError(res, { status: 400, type: 'InvalidAction', message: `Could not find operation ${action} for version 2011-06-15` }, requestId);
    return;
  }
  const roleArn = form.get('RoleArn') ?? '';
  const roleSessionName = form.get('RoleSessionName') ?? '';
  const externalId = form.get('ExternalId') ?? undefined;
  const duration = form.get('DurationSeconds');
  const durationSeconds = duration === null ? undefined : Number(duration);
  const invalid =
    (!ROLE_ARN.test(roleArn) && `Value '${roleArn}' at 'roleArn' failed to satisfy constraint: must be a role ARN`) ||
    (!SESSION_NAME.test(roleSessionName) &&
      `Value '${roleSessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`) ||
    (externalId !== undefined && !EXTERNAL_ID.test(externalId) && "Value at 'externalId' failed to satisfy constraint") ||
    (durationSeconds !== undefined &&
      !(Number.isInteger(durationSeconds) && durationSeconds >= 900 && durationSeconds <= 43_200) &&
      `Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`);
  if (invalid) {
    writeStsError(res, { status: 400, type: 'ValidationError', message: invalid }, requestId);
    return;
  }

  const result = table.assumeRole(caller, { roleArn, roleSessionName, externalId, durationSeconds });
  if (!result.ok) {
    log(`[bedrock-emulator] STS AssumeRole ${roleArn} by ${caller.arn} -> ${result.error.status} ${result.error.type}`);
    writeStsError(res, result.error, requestId);
    return;
  }
  const p = result.principal;
  log(`[bedrock-emulator] STS AssumeRole ${roleArn} by ${caller.arn} -> 200 (credentials until ${new Date(p.expiresAt).toISOString()})`);
  const xml =
    `<AssumeRoleResponse xmlns="${STS_NS}"><AssumeRoleResult>` +
    `<Credentials><AccessKeyId>${p.accessKeyId}</AccessKeyId><SecretAccessKey>${escapeXml(p.secretAccessKey)}</SecretAccessKey>` +
    `<SessionToken>${escapeXml(p.sessionToken ?? '')}</SessionToken><Expiration>${new Date(p.expiresAt).toISOString()}</Expiration></Credentials>` +
    `<AssumedRoleUser><AssumedRoleId>AROAEMULATOR:${escapeXml(roleSessionName)}</AssumedRoleId><Arn>${escapeXml(p.arn)}</Arn></AssumedRoleUser>` +
    `</AssumeRoleResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></AssumeRoleResponse>`;
  writeXml(res, 200, xml, requestId);
}

export function writeStsError(res: ResponseLike, error: ServiceError, requestId: string): void {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  writeXml(
    res,
    error.status,
    `<ErrorResponse xmlns="${STS_NS}"><Error><Type>${type}</Type><Code>${error.type}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
      `<RequestId>${requestId}</RequestId></ErrorResponse>`,
    requestId,
  );
}

/** STS's names for the authentication errors (InvalidClientTokenId, SignatureDoesNotMatch, ExpiredToken). */
export { STS_AUTH_ERRORS };

function writeXml(res: ResponseLike, status: number, xml: string, requestId: string): void {
  if (res.destroyed || res.writableEnded) return;
  const payload = Buffer.from(xml, 'utf8');
  res.writeHead(status, { 'content-type': 'text/xml', 'content-length': payload.byteLength, 'x-amzn-requestid': requestId });
  res.end(payload);
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}
