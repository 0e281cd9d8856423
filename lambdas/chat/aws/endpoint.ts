/**
 * The endpoint of an AWS service for a region, as the AWS SDK resolves it for these services: the configured
 * endpoint variables first (`AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`; local runs and tests point
 * them at the emulators), else `https://<prefix>.<region>.amazonaws.com` (`.amazonaws.com.cn` in China). A region
 * that is not a valid host label fails, as in the SDK.
 */

const REGION = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function serviceEndpoint(variable: string, prefix: string, region: string): URL {
  if (!REGION.test(region)) throw new Error(`Invalid region in client config: ${JSON.stringify(region)}`);
  const env = process.env;
  const configured = env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true' ? undefined : (env[`AWS_ENDPOINT_URL_${variable}`] ?? env.AWS_ENDPOINT_URL);
  if (configured) return new URL(configured);
  return new URL(`https://${prefix}.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`);
}

/** The base URL's path followed by `segments`, each URI-encoded (a `/` in an ARN included), as the SDK encodes path labels. */
export function expandPath(base: URL, segments: readonly string[]): string {
  const prefix = base.pathname.replace(/\/$/, '');
  return `${prefix}/${segments.map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join('/')}`;
}
