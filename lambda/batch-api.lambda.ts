/**
 * The batch routes' entry (docs/batches.md): `POST /contact/outbound-voice/batches`,
 * `GET` and `DELETE /contact/outbound-voice/batches/{batchId}`. A function of
 * its own, so the synchronous route's function carries no SQS client and no
 * batch code (README, "Performance"), and only this one may send to the
 * dispatch queue. The dispatcher places the calls.
 *
 * Clients and configuration are made once per container, at cold start.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { answerApiRequest } from './api-entry';
import { BatchLedger } from './batch-ledger';
import { DispatchQueue } from './batch-queue';
import { batchStatus, cancelBatch, submitBatch } from './batch-routes';
import { ConfigError, loadConfig } from './config';
import { ApiError } from './http';
import { ledgerClient } from './ledger';
import { Logger } from './observability';
import { ENV, ROUTES } from '../src/private/contract';

const config = loadConfig();
if (!config.batch) throw new ConfigError([`${ENV.batchQueueUrl} is required`], 'batch API');
const entry = { logger: new Logger({ service: 'batch-api' }), metricsNamespace: config.metricsNamespace, authMode: config.authMode };
const dynamodb = ledgerClient();
const batchLedger = new BatchLedger(dynamodb, config.tableName, config.idempotencyWindowSeconds);
const dispatchQueue = new DispatchQueue(config.batch.queueUrl, config.batch.maxWakeUpSeconds);

type HandlerContext = Pick<Context, 'awsRequestId' | 'functionName'>;

export function handler(event: APIGatewayProxyEvent, context: HandlerContext): Promise<APIGatewayProxyResult> {
  return answerApiRequest(event, context, entry, ({ caller, requestId, log }) => {
    const ctx = { ledger: batchLedger, queue: dispatchQueue, policy: config.policy, log };
    if (event.resource === ROUTES.batches && event.httpMethod === 'POST') return submitBatch(event, caller, requestId, ctx);
    if (event.resource === ROUTES.batch && event.httpMethod === 'GET') return batchStatus(event, caller, requestId, ctx);
    if (event.resource === ROUTES.batch && event.httpMethod === 'DELETE') return cancelBatch(event, caller, requestId, ctx);
    throw new ApiError('RESOURCE_NOT_FOUND', 'No such route.');
  });
}
