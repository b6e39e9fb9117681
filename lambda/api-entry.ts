/**
 * The frame both API entries share (outbound-caller.lambda.ts, batch-api.lambda.ts):
 * the request id, the caller (identity.ts), a logger and an EMF document for the
 * request; the route's answer, or failureResponse (http.ts) for whatever it
 * threw; the request's metrics written either way.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { failureResponse } from './http';
import { callerIdentity } from './identity';
import { RequestMetrics, type Logger } from './observability';
import type { AuthMode } from '../src/private/contract';

/** What a route gets for one request: its caller and request id, its metrics, and a logger that names both. */
export interface ApiRequest {
  readonly caller: string;
  readonly requestId: string;
  readonly metrics: RequestMetrics;
  readonly log: Logger;
}

/** What an entry fixes at cold start: its logger, the metrics namespace and how callers are identified. */
export interface ApiEntry {
  readonly logger: Logger;
  readonly metricsNamespace: string;
  readonly authMode: AuthMode;
}

export async function answerApiRequest(
  event: APIGatewayProxyEvent,
  context: Pick<Context, 'awsRequestId' | 'functionName'>,
  entry: ApiEntry,
  route: (request: ApiRequest) => Promise<APIGatewayProxyResult>,
): Promise<APIGatewayProxyResult> {
  const requestId = event.requestContext?.requestId ?? context.awsRequestId;
  const metrics = new RequestMetrics(entry.metricsNamespace, context.functionName);
  let log = entry.logger.child({ requestId });
  try {
    const caller = callerIdentity(event, entry.authMode);
    log = log.child({ caller });
    return await route({ caller, requestId, metrics, log });
  } catch (error) {
    return failureResponse(error, requestId, metrics, log);
  } finally {
    metrics.flush();
  }
}
