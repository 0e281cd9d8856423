/**
 * A path under which the chat page's distribution serves a backend (`ChatWebsiteBackend.jwt({ distributionPath })`,
 * a stage's `website.signedInChatPath`): lower-case letters, digits and dashes per segment, no trailing slash.
 */
export const DISTRIBUTION_PATH = /^\/[a-z0-9][a-z0-9-]*(\/[a-z0-9][a-z0-9-]*)*$/;
