/**
 * integ-runner app: one stack with OutboundCaller's defaults (IAM auth, a new
 * REST API, a new ledger table) and fixed ids, and one with batch calls on. Its snapshot
 * (integ.outbound-caller.ts.snapshot/) is committed and verified offline by
 * test/integ-snapshot.test.ts; nothing here needs an AWS account unless you
 * deploy it on purpose (`integ-runner --update-on-failed` without `--dry-run`).
 *
 * The snapshot is compared with asset hashes normalised (integ-runner's
 * default, `diffAssets: false`), so a change of the handler bundle alone does
 * not fail it; a change of the template does.
 */
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { OutboundCaller } from '../src';
import { CONTACT_FLOW_ID, INSTANCE_ID, SOURCE_PHONE_NUMBER } from './support/ids';

const app = new App();
const stack = new Stack(app, 'OutboundCallerInteg');

new OutboundCaller(stack, 'Caller', {
  instanceId: INSTANCE_ID,
  contactFlowId: CONTACT_FLOW_ID,
  sourcePhoneNumber: SOURCE_PHONE_NUMBER,
  // A deployed integ test is destroyed afterwards: leave nothing behind.
  removalPolicy: RemovalPolicy.DESTROY,
});

// The same with batch calls on: the dispatch queue, its dead-letter queue, the dispatcher and the batch routes.
// The stack above stays as it was: batch calls change only the template of a stack that turns them on.
const batchStack = new Stack(app, 'OutboundCallerBatchInteg');
new OutboundCaller(batchStack, 'Caller', {
  instanceId: INSTANCE_ID,
  contactFlowId: CONTACT_FLOW_ID,
  sourcePhoneNumber: SOURCE_PHONE_NUMBER,
  batchCalls: {},
  removalPolicy: RemovalPolicy.DESTROY,
});

new IntegTest(app, 'OutboundCallerIntegTest', {
  testCases: [stack, batchStack],
  // The default, stated on purpose: asset hashes are normalised in the snapshot diff.
  diffAssets: false,
});
