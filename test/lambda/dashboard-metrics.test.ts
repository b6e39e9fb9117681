import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { handlerEnv, INSTANCE_ID, loadBundle, StdoutCapture } from './bundle';
import { OutboundCaller } from '../../src';
import { METRICS } from '../../src/private/contract';
import { ConnectSimulator } from '../local/connect-simulator';
import { createLedgerTable } from '../local/dynamodb-local';
import { callEvent, lambdaContext, type ProxyHandler } from '../local/proxy-event';
import { removeTestApps, testApp } from '../support/cdk-test-app';
import { dashboardBody, emfMetricKeys, metricKey, readMetric } from '../support/dashboard';
import { REQUIRED_PROPS } from '../support/fixtures';

/**
 * The dashboard against what the shipped handler really writes: the bundle in
 * assets/ answers a call, a replay, a refused request and a Connect error
 * (DynamoDB Local and the Connect simulator), and every handler metric the
 * dashboard charts must be one of the EMF metrics it wrote, with the same
 * namespace, name and dimension set. (The status function's metrics are
 * checked against its metrics code in test/monitoring.test.ts.)
 */

const ddbEndpoint = process.env.DYNAMODB_LOCAL_ENDPOINT!;
const tableName = `ledger-dashboard-${process.pid}-${Date.now()}`;
const capture = new StdoutCapture();
let sim: ConnectSimulator;
let handler: ProxyHandler;

beforeAll(async () => {
  await createLedgerTable(ddbEndpoint, tableName);
  sim = await ConnectSimulator.start({ quota: false, knownInstanceIds: [INSTANCE_ID] });
  handler = loadBundle(handlerEnv({ tableName, dynamodbEndpoint: ddbEndpoint, connectEndpoint: sim.url }));
});
afterAll(async () => {
  await sim.stop();
  removeTestApps();
});

test('every handler metric on the dashboard is one the shipped handler writes (namespace, name, dimensions)', async () => {
  capture.start();
  try {
    const call = (body: unknown, idempotencyKey?: string): Promise<unknown> =>
      handler(callEvent(body, { idempotencyKey }), lambdaContext());
    const key = `dashboard-${Date.now()}`;
    await call({ DestinationPhoneNumber: '+12125550123' }, key); // CallsStarted, LedgerLatency
    await call({ DestinationPhoneNumber: '+12125550123' }, key); // Replays
    await call({ DestinationPhoneNumber: 'nope' }); // Rejections by Code
    sim.failNext({ error: 'ResourceNotFoundException' });
    await call({ DestinationPhoneNumber: '+12125550124' }, `${key}-2`); // ConnectErrors by ErrorType
  } finally {
    capture.stop();
  }
  const emitted = emfMetricKeys(capture.json().filter((line) => line._aws));

  const stack = new Stack(testApp(), 'Dashboard');
  const caller = new OutboundCaller(stack, 'Caller', REQUIRED_PROPS);
  caller.addDashboard();
  const handlerRef = `\${${stack.getLogicalId(caller.handler.node.defaultChild as never)}}`;
  const charted = dashboardBody(Template.fromStack(stack)).widgets
    .flatMap((widget) => widget.properties.metrics ?? []).map(readMetric)
    .filter((metric) => metric.namespace === METRICS.namespace && metric.dimensions.FunctionName === handlerRef);

  const names = new Set(charted.map((metric) => metric.name));
  expect([...names].sort()).toEqual([
    METRICS.names.callsStarted, METRICS.names.connectErrors, METRICS.names.ledgerLatency,
    METRICS.names.rejections, METRICS.names.replays,
  ].sort());
  for (const metric of charted) {
    expect(emitted).toContain(metricKey(metric.namespace, metric.name, Object.keys(metric.dimensions)));
  }
});
