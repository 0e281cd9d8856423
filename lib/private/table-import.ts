import { Arn, ArnFormat, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { TABLE_NAME } from '../../contract/patterns';
import { Validator } from './validation';

/**
 * The name and ARN of an existing DynamoDB table given by either (or both), checked before the import construct
 * `id` exists under `scope` (messages name its path).
 */
export function tableNameAndArn(
  scope: IConstruct,
  id: string,
  what: string,
  tableName: string | undefined,
  tableArn: string | undefined,
): { tableName: string; tableArn: string } {
  const v = new Validator(`${what} ${scope.node.path}/${id}`);
  if (tableName === undefined && tableArn === undefined) v.fail('give the table name or its ARN');
  v.pattern('tableName', tableName, TABLE_NAME, '3 to 255 of A-Z a-z 0-9 _ . -');
  if (tableArn !== undefined && !Token.isUnresolved(tableArn)) {
    const parts = /^arn:[a-z-]+:dynamodb:[a-z0-9-]+:\d{12}:table\/([A-Za-z0-9_.-]{3,255})$/.exec(tableArn);
    if (!parts) v.fail(`'${tableArn}' is not a DynamoDB table ARN (arn:<partition>:dynamodb:<region>:<account>:table/<name>)`);
  }
  const name = tableName ?? (Arn.split(tableArn as string, ArnFormat.SLASH_RESOURCE_NAME).resourceName as string);
  const arn = tableArn ?? Stack.of(scope).formatArn({ service: 'dynamodb', resource: 'table', resourceName: name });
  return { tableName: name, tableArn: arn };
}
