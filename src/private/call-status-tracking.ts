import { Duration } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledgements';
import { ContactEventsFunction } from './contact-events-function';
import { ENV, METRICS } from './contract';
import { createFunction } from './functions';
import { grantLedger } from './ledger-table';
import type { ResolvedProps } from './resolve-props';

/**
 * Call-status tracking: contact events of this instance's API-initiated
 * contacts → the status function (a Query on the contact index, an update on
 * the ledger), with retries
 * and a dead-letter queue both for deliveries EventBridge could not make and
 * for events the function could not record.
 */
export function buildCallStatusTracking(
  scope: Construct, resolved: ResolvedProps, table: dynamodb.ITable,
): { fn: lambda.Function; queue: sqs.Queue; rule: events.Rule } {
  const { instanceId } = resolved.instance;
  const queue = new sqs.Queue(scope, 'StatusDeadLetterQueue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    removalPolicy: resolved.removalPolicy,
  });
  acknowledge(queue, [{
    nag: 'Serverless-SQSRedrivePolicy',
    guard: 'sqs_dlq_check',
    reason: 'This queue is itself the dead-letter queue of the contact-events rule and the status function; a dead-letter queue of a dead-letter queue would only move the same messages again.',
  }]);
  const { fn, role } = createFunction(scope, resolved, ContactEventsFunction,
    { role: 'StatusRole', logs: 'StatusLogs', function: 'StatusFunction' }, {
      roleDescription: 'OutboundCaller status function: record contact events in the ledger',
      props: {
        description: 'OutboundCaller: contact events to call status',
        memorySize: 128,
        timeout: Duration.seconds(10),
        // Asynchronous invocations (from EventBridge): two retries, then the event goes to the dead-letter queue.
        retryAttempts: 2,
        deadLetterQueue: queue,
        environment: {
          [ENV.instanceId]: instanceId,
          [ENV.tableName]: table.tableName,
          [ENV.metricsNamespace]: METRICS.namespace,
        },
      },
    });
  acknowledge(fn.node.findChild('EventInvokeConfig'), [{
    nag: 'Serverless-LambdaAsyncFailureDestination',
    reason: 'Failed asynchronous invocations go to the function\'s dead-letter queue (DeadLetterConfig) after two retries; an on-failure destination would deliver the same events a second time.',
  }]);
  grantLedger(role, table, ['UpdateItem'], true);
  resolved.ledgerKey?.grant(role, 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey');
  const rule = new events.Rule(scope, 'ContactEventsRule', {
    description: 'OutboundCaller: contact events of API-initiated contacts of this Connect instance',
    eventPattern: {
      source: ['aws.connect'],
      detailType: ['Amazon Connect Contact Event'],
      detail: {
        instanceArn: events.Match.suffix(`:instance/${instanceId}`),
        initiationMethod: ['API'],
      },
    },
    targets: [new targets.LambdaFunction(fn, {
      deadLetterQueue: queue,
      retryAttempts: 8,
      maxEventAge: Duration.hours(2),
    })],
  });
  return { fn, queue, rule };
}
