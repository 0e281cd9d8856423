/**
 * The contract between the constructs (lib/) and the runtime (lambdas/): environment variable names and
 * defaults, limits, patterns, table attribute names, bundle names and error codes, each written once.
 * No CDK and no SDK imports here: both sides, and the browser client, can load it.
 */
export * from './bundles';
export * from './cors';
export * from './env';
export * from './errors';
export * from './guardrails';
export * from './knowledge-base-sync';
export * from './limits';
export * from './metrics';
export * from './patterns';
export * from './tables';
