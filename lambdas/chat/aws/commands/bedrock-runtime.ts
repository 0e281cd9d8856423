/** The bundles' `@aws-sdk/client-bedrock-runtime` (aws/commands/command.ts). */
import { AwsCommand } from './command';

export class ConverseStreamCommand extends AwsCommand<object> {
  readonly operation = 'ConverseStream';
}
export class ConverseCommand extends AwsCommand<object> {
  readonly operation = 'Converse';
}
