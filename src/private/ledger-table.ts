import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { LEDGER } from './contract';
import type { ResolvedProps } from './resolve-props';

/**
 * The idempotency ledger: the user's table, or a new one (on demand,
 * encrypted, point-in-time recovery, TTL) with the contract's key and TTL
 * attribute and, with call status on, the keys-only index that finds a call's
 * record by its ContactId (README, "Call status").
 */
export function buildLedgerTable(scope: Construct, resolved: ResolvedProps): dynamodb.ITable {
  if (resolved.table) return resolved.table;
  const table = new dynamodb.Table(scope, 'Ledger', {
    partitionKey: { name: LEDGER.partitionKey, type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    encryption: resolved.encryptionKey ? dynamodb.TableEncryption.CUSTOMER_MANAGED : dynamodb.TableEncryption.AWS_MANAGED,
    encryptionKey: resolved.encryptionKey,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: LEDGER.ttlAttribute,
    removalPolicy: resolved.removalPolicy,
  });
  if (resolved.callStatus) table.addGlobalSecondaryIndex(contactIndexProps());
  return table;
}

/** The contact index, as `Table.addGlobalSecondaryIndex` takes it (also quoted by the bring-your-own-table check). */
export function contactIndexProps(): dynamodb.GlobalSecondaryIndexProps {
  return {
    indexName: LEDGER.contactIndex.name,
    partitionKey: { name: LEDGER.contactIndex.partitionKey, type: dynamodb.AttributeType.STRING },
    projectionType: dynamodb.ProjectionType.KEYS_ONLY,
  };
}

/**
 * Gives a handler role `itemActions` on the ledger table and, with
 * `queryContactIndex`, `dynamodb:Query` on the contact index: each named
 * exactly. (`Table.grant` would add `table/<name>/index/*` as soon as the
 * table has an index.)
 */
export function grantLedger(
  role: iam.IGrantable, table: dynamodb.ITable, itemActions: string[], queryContactIndex: boolean,
): void {
  role.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'LedgerItems',
    actions: itemActions.map((action) => `dynamodb:${action}`),
    resources: [table.tableArn],
  }));
  if (queryContactIndex) {
    // A call's record is found by its ContactId through the index (README, "Call status").
    role.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'QueryContactIndex',
      actions: ['dynamodb:Query'],
      resources: [`${table.tableArn}/index/${LEDGER.contactIndex.name}`],
    }));
  }
}
