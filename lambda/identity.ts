/**
 * Who is calling: the authenticated identity API Gateway put in the request
 * context. Idempotency keys are scoped to it, so one caller's key never
 * replays another caller's call (docs/architecture.md, the ledger).
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ApiError } from './http';
import type { AuthMode } from '../src/private/contract';

/** The identity used when the API is explicitly open (`CallerAuthorization.none()`). */
export const ANONYMOUS_CALLER = 'anonymous';

export function callerIdentity(event: Pick<APIGatewayProxyEvent, 'requestContext'>, mode: AuthMode): string {
  const context = event.requestContext;
  let caller: unknown;
  switch (mode) {
    case 'IAM':
      caller = context?.identity?.userArn;
      break;
    case 'API_KEY':
      caller = context?.identity?.apiKeyId;
      break;
    case 'COGNITO':
      caller = (context?.authorizer?.claims as Record<string, unknown> | undefined)?.sub;
      break;
    case 'NONE':
      return ANONYMOUS_CALLER;
  }
  if (typeof caller !== 'string' || caller.length === 0) {
    // API Gateway authorizes before the handler runs, so this only happens when
    // the route is wired without the authorization the construct configured.
    throw new ApiError('FORBIDDEN', 'The request carries no authenticated caller identity.');
  }
  return `${mode}:${caller}`;
}
