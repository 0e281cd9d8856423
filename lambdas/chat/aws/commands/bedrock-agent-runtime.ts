/** The bundles' `@aws-sdk/client-bedrock-agent-runtime` (aws/commands/command.ts). */
import { AwsCommand } from './command';

export class RetrieveCommand extends AwsCommand<object> {
  readonly operation = 'Retrieve';
}
export class InvokeAgentCommand extends AwsCommand<object> {
  readonly operation = 'InvokeAgent';
}
