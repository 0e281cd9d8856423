/**
 * Stands in for client/guest-credentials.ts in the page bundle (see web/build.mjs): the page always
 * gives the typed client its own credentials provider, so the SDK-based default is never reached and
 * its SDK clients stay out of the bundle.
 */
export type { AwsCredentials, CredentialsProvider, GuestCredentialsProvider, GuestIdentityEndpoints } from '../../client/guest-credentials';

export function createGuestCredentialsProvider(): never {
  throw new Error('The chat page passes its own credentials provider to the typed client');
}
