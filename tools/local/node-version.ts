/**
 * The Node.js versions the repository supports (`engines` in package.json): 20, 22 and 24. The deployed
 * functions run on Lambda's Node.js 24 whatever runs the tools.
 *
 * On Node 20 the AWS SDK prints an eight-line `NodeVersionSupportWarning` when a process creates its first
 * client (its releases after January 2027 need Node 22). For the local CLIs that warning is about the
 * developer's Node, not about the product, and it came on every start: they replace it with one banner line.
 * Only these CLIs do this, through the SDK's own switch; other warnings are untouched.
 */
export const SDK_NODE_MAJOR = 22;

/** On Node before 22: silences the SDK's start-up warning for this process and returns the line to print instead. */
export function oldNodeNote(version = process.version): string | undefined {
  const major = Number(version.replace(/^v/, '').split('.')[0]);
  if (major >= SDK_NODE_MAJOR) return undefined;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return `${version} runs these tools; the AWS SDK supports it until January 2027 (use Node 22 or 24; Lambda runs the functions on 24)`;
}
