/**
 * A load-time layer for the benchmark's "where the cold load goes" table:
 * the bare handler's Connect client plus the DynamoDB client and the
 * commands the ledger uses, made at module load as the handler makes them.
 * Never invoked: only loaded.
 */
import {
  ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, PutItemCommand, TransactWriteItemsCommand, UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';

export { handler } from './bare-handler';

export const dynamodb = new DynamoDBClient({});
export const used = [ConditionalCheckFailedException, DeleteItemCommand, PutItemCommand, TransactWriteItemsCommand, UpdateItemCommand];
