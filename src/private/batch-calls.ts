import { Duration, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledgements';
import { BatchApiFunction } from './batch-api-function';
import { BatchDispatcherFunction } from './batch-dispatcher-function';
import { BATCH, ENV } from './contract';
import { createFunction } from './functions';
import { CONNECT_CONTACT_WILDCARD, grantPlaceCalls, handlerEnvironment } from './handler';
import { grantLedger } from './ledger-table';
import type { ResolvedBatchCalls, ResolvedProps } from './resolve-props';

/** The resources of batch calls. */
export interface BatchCallsResources {
  /** The dispatch queue: the batch API function and the dispatcher send wake-ups, the dispatcher receives them. */
  readonly queue: sqs.Queue;
  /** Where dispatch messages go after `maxReceiveCount` receives. */
  readonly deadLetterQueue: sqs.Queue;
  /** Dials the accepted calls, paced. */
  readonly dispatcher: lambda.Function;
  /** Serves the batch routes (submit, status, cancel). */
  readonly api: lambda.Function;
}

/** The dispatcher's timeout. */
const DISPATCHER_TIMEOUT = Duration.seconds(BATCH.dispatcherTimeoutSeconds);
/**
 * AWS's advice for a queue that triggers a Lambda function: a visibility
 * timeout of at least six times the function's timeout, so a message is not
 * delivered again while a retried invocation still works on it.
 */
const DISPATCH_VISIBILITY_TIMEOUT = Duration.seconds(6 * BATCH.dispatcherTimeoutSeconds);
/** How long a dispatch message stays in either queue: SQS's longest retention. */
const RETENTION = Duration.days(14);
/**
 * Concurrent dispatcher invocations the event source starts, at most (its
 * minimum): the dispatcher paces itself through the ledger whatever its
 * concurrency, so more would only wait for dial slots.
 */
const DISPATCHER_MAX_CONCURRENCY = 2;

/**
 * Batch calls (README, "Bulk and scheduled calls"; docs/batches.md): the
 * dispatch queue and its dead-letter queue (encrypted, SQS-managed or with the
 * user's key, TLS only); the dispatcher, triggered by the queue, with the
 * handler's configuration and a role that can do what it does (place calls on
 * this instance, its ledger item actions, send wake-ups); and the batch API
 * function behind the batch routes, with a role that can use the ledger's
 * items and send to the queue, nothing more. The synchronous route's handler
 * has neither the batch code nor the right to send to the queue.
 */
export function buildBatchCalls(
  scope: Construct, resolved: ResolvedProps, batch: ResolvedBatchCalls, table: dynamodb.ITable,
): BatchCallsResources {
  const encryption: sqs.QueueProps = batch.encryptionKey
    ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: batch.encryptionKey }
    : { encryption: sqs.QueueEncryption.SQS_MANAGED };
  const deadLetterQueue = new sqs.Queue(scope, 'BatchDeadLetterQueue', {
    ...encryption,
    enforceSSL: true,
    retentionPeriod: RETENTION,
    removalPolicy: resolved.removalPolicy,
  });
  acknowledge(deadLetterQueue, [{
    nag: 'Serverless-SQSRedrivePolicy',
    guard: 'sqs_dlq_check',
    reason: 'This queue is itself the dead-letter queue of the batch dispatch queue; a dead-letter queue of a dead-letter queue would only move the same messages again.',
  }]);
  const queue = new sqs.Queue(scope, 'BatchQueue', {
    ...encryption,
    enforceSSL: true,
    retentionPeriod: RETENTION,
    visibilityTimeout: DISPATCH_VISIBILITY_TIMEOUT,
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: batch.maxReceiveCount },
    removalPolicy: resolved.removalPolicy,
  });
  const batchEnvironment = {
    [ENV.batchQueueUrl]: queue.queueUrl,
    [ENV.batchDialRate]: Token.isUnresolved(batch.dialRatePerSecond) ? Token.asString(batch.dialRatePerSecond) : String(batch.dialRatePerSecond),
  };

  const { fn: dispatcher, role } = createFunction(scope, resolved, BatchDispatcherFunction,
    { role: 'DispatcherRole', logs: 'DispatcherLogs', function: 'Dispatcher' }, {
      roleDescription: 'OutboundCaller batch dispatcher: place queued calls on one Connect instance, use its ledger and queue',
      props: {
        description: 'OutboundCaller: dials the calls of batches, paced',
        memorySize: 256,
        timeout: DISPATCHER_TIMEOUT,
        environment: { ...handlerEnvironment(resolved, table), ...batchEnvironment },
      },
      functionAcknowledgements: [{
        nag: 'Serverless-LambdaDLQ',
        reason: 'Invoked only by its SQS event source: a message it fails is received again and, after maxReceiveCount receives, moved by the queue\'s redrive policy to the batch dead-letter queue; a function DLQ applies only to asynchronous invocations.',
      }],
      policyAcknowledgements: [CONNECT_CONTACT_WILDCARD],
    });
  grantPlaceCalls(scope, role, resolved);
  // Only what it does: read a batch or a call (GetItem), and every state change, the pacer and the completion
  // are conditional updates (UpdateItem). It never creates or deletes an item.
  grantLedger(role, table, ['GetItem', 'UpdateItem'], false);
  resolved.ledgerKey?.grant(role, 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey');
  // Re-queued wake-ups and the fan-out of a batch into one message per call.
  grantSend(queue, role, batch);
  dispatcher.addEventSource(new sources.SqsEventSource(queue, {
    batchSize: BATCH.eventBatchSize,
    reportBatchItemFailures: true,
    maxConcurrency: DISPATCHER_MAX_CONCURRENCY,
  }));
  for (const mapping of dispatcher.node.children.filter((child) => child instanceof lambda.EventSourceMapping)) {
    acknowledge(mapping, [{
      nag: 'Serverless-LambdaEventSourceMappingDestination',
      reason: 'An SQS event source mapping takes no on-failure destination (Lambda supports them for streams and Kafka only): a message the dispatcher fails is received again and, after maxReceiveCount receives, moved to the batch dead-letter queue by the queue\'s redrive policy.',
    }]);
  }

  const { fn: api, role: apiRole } = createFunction(scope, resolved, BatchApiFunction,
    { role: 'BatchApiRole', logs: 'BatchApiLogs', function: 'BatchApi' }, {
      roleDescription: 'OutboundCaller batch API: accept, read and cancel batches in its ledger, send wake-ups to its queue',
      props: {
        description: 'OutboundCaller: POST /contact/outbound-voice/batches, GET|DELETE .../batches/{batchId}',
        memorySize: resolved.memorySize,
        timeout: resolved.timeout,
        environment: { ...handlerEnvironment(resolved, table), ...batchEnvironment },
      },
      functionAcknowledgements: [{
        nag: 'Serverless-LambdaDLQ',
        reason: 'Invoked synchronously by API Gateway only: the caller receives every failure in the response, so a DLQ would never hold anything.',
      }],
    });
  // Submit: claims (PutItem) and the batch (PutItem), undone on failure (DeleteItem); status: the batch (GetItem)
  // and its calls (BatchGetItem); cancel: each queued call (UpdateItem).
  grantLedger(apiRole, table, ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchGetItem'], false);
  resolved.ledgerKey?.grant(apiRole, 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey');
  grantSend(queue, apiRole, batch);
  return { queue, deadLetterQueue, dispatcher, api };
}

/**
 * `sqs:SendMessage` on the dispatch queue and nothing more (`grantSendMessages()`
 * would add GetQueueAttributes and GetQueueUrl, which nobody calls: the URL is in
 * the environment), and with the user's key what SQS needs of it to encrypt.
 */
function grantSend(queue: sqs.Queue, grantee: iam.IGrantable, batch: ResolvedBatchCalls): void {
  queue.grant(grantee, 'sqs:SendMessage');
  batch.encryptionKey?.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt');
}
