/** The bundles' `@aws-sdk/client-dynamodb` (aws/commands/command.ts): the commands and the one error class the chat names. */
import { AwsCommand } from './command';

export class UpdateItemCommand extends AwsCommand<object> {
  readonly operation = 'UpdateItem';
}
export class GetItemCommand extends AwsCommand<object> {
  readonly operation = 'GetItem';
}
export class PutItemCommand extends AwsCommand<object> {
  readonly operation = 'PutItem';
}
export class DeleteItemCommand extends AwsCommand<object> {
  readonly operation = 'DeleteItem';
}
export class QueryCommand extends AwsCommand<object> {
  readonly operation = 'Query';
}
export class BatchWriteItemCommand extends AwsCommand<object> {
  readonly operation = 'BatchWriteItem';
}

/** Never thrown here: the clients' errors carry the name, which the chat checks too. */
export class ConditionalCheckFailedException extends Error {
  override readonly name = 'ConditionalCheckFailedException';
}
