/**
 * integ-runner app: one stack with OutboundCaller's defaults (IAM auth, a new
 * REST API, a new ledger table) and fixed ids. Its snapshot
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

const app = new App();
const stack = new Stack(app, 'OutboundCallerInteg');

new OutboundCaller(stack, 'Caller', {
  instanceId: '10a4c4eb-f57e-4d4c-b602-bf39176ced07',
  contactFlowId: '846ec553-a005-41c0-8341-2a9cf1e8f2a7',
  sourcePhoneNumber: '+14155550100',
  // A deployed integ test is destroyed afterwards: leave nothing behind.
  removalPolicy: RemovalPolicy.DESTROY,
});

new IntegTest(app, 'OutboundCallerIntegTest', {
  testCases: [stack],
  // The default, stated on purpose: asset hashes are normalised in the snapshot diff.
  diffAssets: false,
});
