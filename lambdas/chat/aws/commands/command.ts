/**
 * What the bundles get for the AWS SDK's command classes (lambdas/build.mjs resolves `@aws-sdk/client-dynamodb`,
 * `@aws-sdk/client-bedrock-runtime` and `@aws-sdk/client-bedrock-agent-runtime` here): a command is its input and
 * the operation it names, which the function's clients (aws/*-client.ts) send. The SDK itself (its clients,
 * serialisers, endpoint rules and credential chain) is then not in the bundle at all. Run from source (tests,
 * tools), the runtime modules build the SDK's own commands, which the same clients take too.
 */
export abstract class AwsCommand<I extends object> {
  abstract readonly operation: string;
  constructor(readonly input: I) {}
}
