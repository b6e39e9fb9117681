/**
 * The OpenAPI 3.1 document: valid against the OpenAPI 3.1 schema (a real
 * validator, @seriousme/openapi-schema-validator), built from the same sources
 * as what the template deploys (the request model, the gateway responses, the
 * error codes), and the same for the construct, the package and the sandbox.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CfnOutput, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type { CallStatusView } from '../lambda/call-status';
import { CallerAuthorization, CallingHours, OutboundCaller } from '../src';
import { removeTestApps, testApp } from './support/cdk-test-app';
import { ACCOUNT, OTHER_CONTACT_FLOW_ID, REGION, REQUIRED_PROPS } from './support/fixtures';
import { BATCH, BATCH_CALL_STATES, ERROR_STATUS, HEADERS, ROUTE_ERRORS, ROUTES } from '../src/private/contract';
import { GATEWAY_RESPONSES } from '../src/private/gateway-responses';
import { batchRequestBodySchema, packageOpenApiDocument, requestBodySchema } from '../src/private/openapi';

const ALLOWED = { allowedContactFlowIds: [OTHER_CONTACT_FLOW_ID], allowedDestinationCountries: ['US', 'CA'] };

const VALIDATOR_CLI = path.join(__dirname, '..', 'node_modules', '@seriousme', 'openapi-schema-validator', 'bin', 'validate-api-cli.js');

/** Runs the validator's CLI on the document; its verdict and errors. */
function validate(document: unknown): { valid: boolean; errors?: unknown[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-'));
  const file = path.join(dir, 'openapi.json');
  try {
    fs.writeFileSync(file, JSON.stringify(document));
    try {
      return JSON.parse(execFileSync(process.execPath, [VALIDATOR_CLI, file], { encoding: 'utf8' }));
    } catch (err) {
      // Exit code 1: not valid; the verdict is on stdout.
      return JSON.parse(String((err as { stdout?: string }).stdout));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A stack with OutboundCaller, its template, and its document with every token resolved as CloudFormation would see it. */
function synth(props: Partial<ConstructorParameters<typeof OutboundCaller>[2]> = {}, beforeSynth?: (stack: Stack, caller: OutboundCaller) => void):
{ doc: any; template: Template; stack: Stack } {
  const stack = new Stack(testApp(), 'Api', { env: { account: ACCOUNT, region: REGION } });
  const caller = new OutboundCaller(stack, 'Caller', { ...REQUIRED_PROPS, ...props });
  beforeSynth?.(stack, caller);
  const doc = stack.resolve(caller.openApiDocument());
  return { doc, template: Template.fromStack(stack), stack };
}

/** What CloudFormation makes of the intrinsics in a resolved document (Ref → a stand-in id, Fn::Join joined). */
function asDeployed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asDeployed);
  if (value === null || typeof value !== 'object') return value;
  const v = value as Record<string, any>;
  if (typeof v.Ref === 'string') return v.Ref === 'AWS::URLSuffix' ? 'amazonaws.com' : 'abcdef1234';
  if (Array.isArray(v['Fn::Join'])) return (v['Fn::Join'][1] as unknown[]).map(asDeployed).join(v['Fn::Join'][0]);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asDeployed(x)]));
}

afterAll(removeTestApps);

describe('the OpenAPI 3.1 document', () => {
  test('the package\'s document and each configuration\'s document are valid OpenAPI 3.1', () => {
    const verdict = validate(packageOpenApiDocument());
    expect(verdict).toEqual({ valid: true });
    // And the validator does refuse a broken one (a response without a description).
    const broken = JSON.parse(JSON.stringify(packageOpenApiDocument()));
    delete broken.paths['/contact/outbound-voice'].put.responses['200'].description;
    expect(validate(broken).valid).toBe(false);

    const pool = (stack: Stack): cognito.UserPool => new cognito.UserPool(stack, 'Users');
    for (const authorization of [CallerAuthorization.iam(), CallerAuthorization.apiKey(), CallerAuthorization.none()]) {
      expect([authorization.mode, validate(asDeployed(synth({ authorization }).doc))]).toEqual([authorization.mode, { valid: true }]);
    }
    const stack = new Stack(testApp(), 'Cognito', { env: { account: ACCOUNT, region: REGION } });
    const caller = new OutboundCaller(stack, 'Caller', { ...REQUIRED_PROPS, authorization: CallerAuthorization.cognito([pool(stack)]) });
    expect(validate(asDeployed(stack.resolve(caller.openApiDocument())))).toEqual({ valid: true });
  });

  test('its request schema is the model the template deploys (one source, not written twice)', () => {
    const { doc, template } = synth();
    const models = Object.values(template.findResources('AWS::ApiGateway::Model'));
    expect(models).toHaveLength(1);
    const { $schema: draft, ...deployed } = models[0].Properties.Schema;
    expect(draft).toBe('http://json-schema.org/draft-04/schema#');
    expect(doc.components.schemas.StartOutboundVoiceContactRequest).toEqual(deployed);
    expect(requestBodySchema()).toEqual(deployed);
    expect(doc.paths['/contact/outbound-voice'].put.requestBody.content['application/json'].schema)
      .toEqual({ $ref: '#/components/schemas/StartOutboundVoiceContactRequest' });
  });

  test('every answer is documented with its envelope: each error code at its status, each gateway response the template has', () => {
    const { doc, template } = synth();
    const put = doc.paths['/contact/outbound-voice'].put;
    const codesAt = (status: string): string[] =>
      put.responses[status].content['application/json'].schema.allOf[1].properties.error.properties.code.enum;
    for (const [code, status] of Object.entries(ERROR_STATUS)) {
      if (code === 'OUTSIDE_CALLING_HOURS') continue; // only with calling hours on this route: the next test
      expect([code, codesAt(String(status))]).toEqual([code, expect.arrayContaining([code])]);
    }
    // The template's gateway responses (IAM mode): each code at the status the template (or API Gateway) gives it.
    const deployed = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse')).map((r) => r.Properties);
    expect(deployed).toHaveLength(GATEWAY_RESPONSES.length);
    for (const response of GATEWAY_RESPONSES.filter((r) => !['API_KEY', 'COGNITO', 'parameters'].includes(r.scope))) {
      const inTemplate = deployed.find((p) => p.ResponseType === response.type.responseType);
      expect(JSON.parse(inTemplate.ResponseTemplates['application/json']).error.code).toBe(response.code);
      if (inTemplate.StatusCode) expect(String(response.status)).toBe(inTemplate.StatusCode);
      const type = response.type.responseType;
      expect([type, codesAt(String(response.status))]).toEqual([type, expect.arrayContaining([response.code])]);
    }
    // Headers: x-request-id on every answer, Idempotent-Replayed on 200, Retry-After on 409/429/503, Idempotency-Key in.
    for (const [status, response] of Object.entries<any>(put.responses)) {
      expect([status, response.headers[HEADERS.requestId]]).toEqual([status, { $ref: '#/components/headers/RequestId' }]);
    }
    expect(put.responses['200'].headers[HEADERS.replayed].schema).toEqual({ type: 'string', enum: ['true'] });
    for (const status of ['409', '429', '503']) expect(put.responses[status].headers[HEADERS.retryAfter]).toBeDefined();
    expect(put.parameters).toEqual([expect.objectContaining({ name: HEADERS.idempotencyKey, in: 'header', required: false })]);
    // The status route.
    const get = doc.paths['/contact/outbound-voice/{contactId}'].get;
    expect(Object.keys(get.responses)).toEqual(expect.arrayContaining(['200', '400', '403', '404', '429', '503']));
    expect(get.responses['415']).toBeUndefined();
  });

  test('OUTSIDE_CALLING_HOURS (403, with Retry-After) is listed only where the synchronous route enforces calling hours', () => {
    const codes403 = (doc: any): string[] =>
      doc.paths['/contact/outbound-voice'].put.responses['403'].content['application/json'].schema.allOf[1].properties.error.properties.code.enum;
    expect(codes403(synth().doc)).not.toContain('OUTSIDE_CALLING_HOURS');
    expect(codes403(synth().doc)).toContain('FORBIDDEN');
    expect(codes403(synth({ callingHours: CallingHours.usTelemarketing({ enforceOnSyncRoute: false }) }).doc))
      .not.toContain('OUTSIDE_CALLING_HOURS');
    const enforced = synth({ callingHours: CallingHours.usTelemarketing() }).doc;
    expect(codes403(enforced)).toContain('OUTSIDE_CALLING_HOURS');
    expect(enforced.paths['/contact/outbound-voice'].put.responses['403'].headers[HEADERS.retryAfter]).toBeDefined();
    expect(validate(asDeployed(enforced))).toEqual({ valid: true });
    // The package's generic document describes every configuration.
    expect(codes403(packageOpenApiDocument())).toContain('OUTSIDE_CALLING_HOURS');
  });

  test('the construct\'s document carries its URL, its authorization mode and its defaults and allow-lists', () => {
    const iam = synth(ALLOWED, (stack, caller) => {
      new CfnOutput(stack, 'OpenApi', { value: stack.toJsonString({ servers: caller.openApiDocument().servers }) });
    });
    expect(iam.doc.security).toEqual([{ sigv4: [] }]);
    expect(iam.doc.components.securitySchemes.sigv4).toMatchObject({ 'type': 'apiKey', 'name': 'Authorization', 'in': 'header', 'x-amazon-apigateway-authtype': 'awsSigv4' });
    expect(iam.doc['x-outbound-caller']).toMatchObject({
      authorization: 'IAM',
      defaults: { ContactFlowId: REQUIRED_PROPS.contactFlowId, SourcePhoneNumber: REQUIRED_PROPS.sourcePhoneNumber },
      allowedContactFlowIds: [REQUIRED_PROPS.contactFlowId, ...ALLOWED.allowedContactFlowIds],
      allowedDestinationCountries: ['US', 'CA'],
      blockPremiumRateNumbers: true,
      allowCampaignCalls: false,
    });
    // The server URL is the stage's: it resolves when deployed (here: the intrinsics CloudFormation resolves).
    const output = JSON.stringify(iam.template.findOutputs('OpenApi'));
    const restApiId = Object.keys(iam.template.findResources('AWS::ApiGateway::RestApi'))[0];
    expect(asDeployed(iam.doc.servers)).toEqual([{ url: 'https://abcdef1234.execute-api.us-east-1.amazonaws.com/abcdef1234' }]);
    expect(output).toContain(`{"Ref":"${restApiId}"}`);
    expect(output).toContain('.execute-api.');

    expect(synth({ authorization: CallerAuthorization.apiKey() }).doc.security).toEqual([{ api_key: [] }]);
    expect(synth({ authorization: CallerAuthorization.none() }).doc.security).toEqual([{}]);
    expect(Object.keys(synth({ callStatus: false }).doc.paths)).toEqual(['/contact/outbound-voice']);
  });

  test('the status route\'s answer schema has exactly the fields of the handler\'s answer (a new field fails to compile here)', () => {
    const fields: Record<keyof CallStatusView, true> = {
      id: true,
      created_at: true,
      status: true,
      updated_at: true,
      source: true,
      disconnected_at: true,
      disconnect_reason: true,
      checked_at: true,
      stale: true,
      events: true,
    };
    const data = (packageOpenApiDocument() as any).components.schemas.CallStatus.properties.data;
    expect(Object.keys(data.properties).sort()).toEqual(Object.keys(fields).sort());
  });

  describe('with batch calls', () => {
    const { doc, template } = synth({ batchCalls: {} });

    test('is valid OpenAPI 3.1, and without batchCalls has no batch route', () => {
      expect(validate(asDeployed(doc))).toEqual({ valid: true });
      expect(Object.keys(doc.paths)).toEqual([
        '/contact/outbound-voice', '/contact/outbound-voice/{contactId}', ROUTES.batches, ROUTES.batch,
      ]);
      expect(Object.keys(synth().doc.paths)).not.toContain(ROUTES.batches);
      expect(synth().doc.components.schemas.SubmitBatchRequest).toBeUndefined();
    });

    test('POST\'s request schema is the batch model the template deploys (one source, not written twice)', () => {
      const deployed = Object.values(template.findResources('AWS::ApiGateway::Model'))
        .map((model: any) => model.Properties.Schema).find((schema: any) => schema.title === 'SubmitBatchRequest');
      const { $schema: draft, ...rest } = deployed;
      expect(draft).toBe('http://json-schema.org/draft-04/schema#');
      expect(doc.components.schemas.SubmitBatchRequest).toEqual(rest);
      expect(batchRequestBodySchema()).toEqual(rest);
      expect(doc.paths[ROUTES.batches].post.requestBody.content['application/json'].schema)
        .toEqual({ $ref: '#/components/schemas/SubmitBatchRequest' });
    });

    test('the examples are valid against the request model', () => {
      const examples = doc.paths[ROUTES.batches].post.requestBody.content['application/json'].examples;
      for (const { value } of Object.values<any>(examples)) {
        expect(Object.keys(value).every((field) => ['Calls', 'NotBefore', 'NotAfter'].includes(field))).toBe(true);
        for (const call of value.Calls) {
          expect(call).toEqual(expect.objectContaining({ DestinationPhoneNumber: expect.any(String), ClientToken: expect.any(String) }));
        }
      }
    });

    test('each operation answers its own error codes at their statuses, from the contract, with the gateway\'s', () => {
      const codesOf = (operation: any): Record<string, string[]> => Object.fromEntries(Object.entries<any>(operation.responses)
        .filter(([status]) => !status.startsWith('2'))
        .map(([status, response]) => [status, response.content['application/json'].schema.allOf[1].properties.error.properties.code.enum]));
      const post = codesOf(doc.paths[ROUTES.batches].post);
      for (const code of ROUTE_ERRORS.submitBatch) {
        expect([code, post[String(ERROR_STATUS[code])]]).toEqual([code, expect.arrayContaining([code])]);
      }
      expect(post['409']).toBeUndefined(); // an in-progress key refuses that call in the 202, not the batch
      expect(post['429']).toEqual(['RATE_LIMITED']); // the route's own throttle
      for (const operation of [doc.paths[ROUTES.batch].get, doc.paths[ROUTES.batch].delete]) {
        const codes = codesOf(operation);
        for (const code of ROUTE_ERRORS.batch) expect([code, codes[String(ERROR_STATUS[code])]]).toEqual([code, expect.arrayContaining([code])]);
        expect(codes['415']).toBeUndefined();
        expect(operation.parameters).toEqual([expect.objectContaining({ name: 'batchId', in: 'path', required: true })]);
        expect(operation.parameters[0].schema.pattern).toBe(BATCH.batchIdPattern);
      }
    });

    test('the 202 links to GET of the batch; the answers use the envelope', () => {
      const post = doc.paths[ROUTES.batches].post;
      expect(post.responses['202'].links.GetBatch).toEqual(expect.objectContaining({
        operationId: 'getBatch', parameters: { batchId: '$response.body#/data/id' },
      }));
      for (const name of ['BatchSubmitted', 'BatchStatus', 'BatchCancelled']) {
        expect(doc.components.schemas[name]).toEqual(expect.objectContaining({ required: ['success', 'data'], additionalProperties: false }));
      }
      const counts = doc.components.schemas.BatchStatus.properties.data.properties.counts;
      expect(counts.required).toEqual([...BATCH_CALL_STATES]);
      expect(doc.components.schemas.BatchCancelled.properties.data.required).toContain('cancelled');
      expect(doc.paths[ROUTES.batch].delete.operationId).toBe('cancelBatch');
    });

    test('the configuration names the dial rate and the quota split', () => {
      expect(doc['x-outbound-caller']).toMatchObject({
        throttle: { rateLimit: 1, burstLimit: 4 },
        connectQuota: { rateLimit: 2, burstLimit: 5 },
        batchCalls: { dialRatePerSecond: 1, submitThrottle: BATCH.routeThrottle },
      });
    });
  });

  test('the package\'s document offers every authorization mode and a server with variables', () => {
    const doc: any = packageOpenApiDocument();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.security).toEqual([{ sigv4: [] }, { api_key: [] }, { cognito: [] }]);
    expect(doc.components.securitySchemes.cognito['x-amazon-apigateway-authtype']).toBe('cognito_user_pools');
    expect(doc.servers[0].url).toBe('https://{restApiId}.execute-api.{region}.amazonaws.com/{stage}');
    // COGNITO's 401 and API_KEY's QUOTA_EXCEEDED are in it; the PUT documents 4XX and 5XX catch-alls.
    expect(Object.keys(doc.paths['/contact/outbound-voice'].put.responses)).toEqual(expect.arrayContaining(['401', '4XX', '5XX']));
    // Every route of every configuration, the batch routes too.
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([ROUTES.batches, ROUTES.batch]));
  });
});
