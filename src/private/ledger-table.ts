import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { LEDGER } from './contract';
import type { ResolvedProps } from './resolve-props';

/**
 * The idempotency ledger: the user's table, or a new one (on demand,
 * encrypted, point-in-time recovery, TTL) with the contract's key and TTL
 * attribute.
 */
export function buildLedgerTable(scope: Construct, resolved: ResolvedProps): dynamodb.ITable {
  return resolved.table ?? new dynamodb.Table(scope, 'Ledger', {
    partitionKey: { name: LEDGER.partitionKey, type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    encryption: resolved.encryptionKey ? dynamodb.TableEncryption.CUSTOMER_MANAGED : dynamodb.TableEncryption.AWS_MANAGED,
    encryptionKey: resolved.encryptionKey,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: LEDGER.ttlAttribute,
    removalPolicy: resolved.removalPolicy,
  });
}
