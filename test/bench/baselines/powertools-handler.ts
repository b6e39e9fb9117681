/**
 * Baseline "powertools": what a user would write instead of OutboundCaller's
 * handler. The same claim → call → record flow, with
 * @aws-lambda-powertools/idempotency and its DynamoDB persistence layer:
 *
 * - the idempotency key is (caller, Idempotency-Key), as in the ledger;
 * - the request body is the payload that is validated against the stored
 *   hash (a key reused for another request: 422, like ours);
 * - the stored result is the success body, so a replay answers the same bytes;
 * - the in-progress expiry comes from the Lambda context's remaining time.
 *
 * Kept as plain as the documentation's examples: no request rules, no
 * phone-number library, no structured logs or metrics (which the shipped
 * handler has, so this baseline is lighter than a like-for-like rewrite).
 * Bundled by the benchmark with exactly the shipped handler's esbuild flags.
 */
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { ConnectClient, StartOutboundVoiceContactCommand } from '@aws-sdk/client-connect';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

interface CallPayload {
  readonly caller: string;
  readonly idempotencyKey: string;
  readonly request: { readonly DestinationPhoneNumber: string };
}

const persistenceStore = new DynamoDBPersistenceLayer({
  tableName: process.env.LEDGER_TABLE_NAME ?? '',
  keyAttr: 'pk',
});
const idempotencyConfig = new IdempotencyConfig({
  eventKeyJmesPath: '[caller, idempotencyKey]',
  payloadValidationJmesPath: 'request',
  expiresAfterSeconds: Number(process.env.IDEMPOTENCY_WINDOW_SECONDS ?? 7 * 24 * 3600),
});
const connect = new ConnectClient({});

const placeCall = makeIdempotent(
  async (payload: CallPayload): Promise<string> => {
    const output = await connect.send(new StartOutboundVoiceContactCommand({
      InstanceId: process.env.INSTANCE_ID,
      ContactFlowId: process.env.CONTACT_FLOW_ID,
      SourcePhoneNumber: process.env.SOURCE_PHONE_NUMBER,
      DestinationPhoneNumber: payload.request.DestinationPhoneNumber,
      ClientToken: `pt-${payload.idempotencyKey}`.slice(0, 500),
    }));
    return JSON.stringify({ success: true, data: { id: output.ContactId, created_at: new Date().toISOString() } });
  },
  { persistenceStore, config: idempotencyConfig },
);

function answer(statusCode: number, body: string): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body };
}

export async function handler(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  idempotencyConfig.registerLambdaContext(context);
  const caller = event.requestContext?.identity?.userArn ?? 'anonymous';
  const idempotencyKey = event.headers?.['Idempotency-Key'] ?? event.headers?.['idempotency-key'];
  if (!idempotencyKey) return answer(400, JSON.stringify({ success: false, error: { code: 'VALIDATION_ERROR' } }));
  const request = JSON.parse(event.body ?? '{}') as CallPayload['request'];
  try {
    return answer(200, await placeCall({ caller, idempotencyKey, request }));
  } catch (error) {
    if (error instanceof IdempotencyAlreadyInProgressError) {
      return answer(409, JSON.stringify({ success: false, error: { code: 'IDEMPOTENCY_IN_PROGRESS' } }));
    }
    if (error instanceof IdempotencyValidationError) {
      return answer(422, JSON.stringify({ success: false, error: { code: 'IDEMPOTENCY_KEY_REUSED' } }));
    }
    return answer(502, JSON.stringify({ success: false, error: { code: 'UPSTREAM_ERROR' } }));
  }
}
