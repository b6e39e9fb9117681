/**
 * Baseline "bare": the floor for anything that uses the SDK. It only calls
 * StartOutboundVoiceContact with @aws-sdk/client-connect and answers the
 * contract's success envelope: no validation, no ledger, no logs, no metrics.
 * Bundled by the benchmark with exactly the shipped handler's esbuild flags.
 */
import { ConnectClient, StartOutboundVoiceContactCommand } from '@aws-sdk/client-connect';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

const connect = new ConnectClient({});

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const body = JSON.parse(event.body ?? '{}') as { DestinationPhoneNumber?: string; ClientToken?: string };
  const output = await connect.send(new StartOutboundVoiceContactCommand({
    InstanceId: process.env.INSTANCE_ID,
    ContactFlowId: process.env.CONTACT_FLOW_ID,
    SourcePhoneNumber: process.env.SOURCE_PHONE_NUMBER,
    DestinationPhoneNumber: body.DestinationPhoneNumber,
    ClientToken: body.ClientToken ?? event.headers?.['Idempotency-Key'],
  }));
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ success: true, data: { id: output.ContactId, created_at: new Date().toISOString() } }),
  };
}
