'use strict';
/**
 * Runs the shipped handler bundle once, in a process of its own, for the
 * reliability suite's "handler killed between claim and record" scenario
 * (test/reliability/reliability.test.ts). Plain JavaScript, so it starts in
 * milliseconds without a TypeScript loader.
 *
 * Input (environment):
 *   the handler's own variables (LEDGER_TABLE_NAME, AWS_ENDPOINT_URL_*, ...);
 *   RELIABILITY_CHILD_BUNDLE       path of assets/lambda/outbound-caller.lambda/index.js;
 *   RELIABILITY_CHILD_EVENT        the API Gateway proxy event, JSON;
 *   RELIABILITY_CHILD_REMAINING_MS the Lambda context's remaining time;
 *   RELIABILITY_CHILD_EXIT_ON      optional test hook of this runner (the handler has none):
 *     "ledger-record": the process exits (code 137, like a SIGKILL) at the moment the
 *     handler sends its ledger record (DynamoDB UpdateItem, or TransactWriteItems with
 *     call status on), i.e. after Connect answered and before the ContactId is stored.
 * Output: "CHILD_READY" once loaded, "CHILD_RESULT <json>" with the answer, on stdout.
 */
const http = require('node:http');

// Never outlive a test run that forgot us.
setTimeout(() => process.exit(2), 120000).unref();

const exitOn = process.env.RELIABILITY_CHILD_EXIT_ON;
if (exitOn === 'ledger-record') {
  // Installed before the bundle loads, so the SDK's HTTP handler sees it whichever way it imports http.request.
  const originalRequest = http.request;
  http.request = function patchedRequest(...args) {
    const options = args.find((arg) => arg && typeof arg === 'object' && !(arg instanceof URL)) || {};
    const headers = options.headers || {};
    const target = Object.keys(headers).find((name) => name.toLowerCase() === 'x-amz-target');
    if (target && /\.(UpdateItem|TransactWriteItems)$/.test(String(headers[target]))) {
      // Dies here, synchronously: the record is never sent.
      process.exit(137);
    }
    return originalRequest.apply(this, args);
  };
}

// The handler's log lines go to stderr here: stdout carries only this runner's protocol.
const writeOut = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => process.stderr.write(chunk, ...rest);

const { handler } = require(process.env.RELIABILITY_CHILD_BUNDLE);
const event = JSON.parse(process.env.RELIABILITY_CHILD_EVENT);
const deadline = Date.now() + Number(process.env.RELIABILITY_CHILD_REMAINING_MS || 25000);
const context = {
  awsRequestId: `child-${process.pid}`,
  functionName: 'outbound-caller-child',
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
};
writeOut('CHILD_READY\n');
handler(event, context).then(
  (result) => writeOut(`CHILD_RESULT ${JSON.stringify(result)}\n`, () => process.exit(0)),
  (error) => writeOut(`CHILD_ERROR ${String(error && error.stack || error)}\n`, () => process.exit(1)),
);
