/**
 * Template helpers of the construct tests: one stack with one OutboundCaller,
 * and lookups of its resources, statements and synth-time errors.
 */
import { CfnElement, Environment, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { testApp } from './cdk-test-app';
import { REQUIRED_PROPS } from './fixtures';
import { OutboundCaller, OutboundCallerProps } from '../../src';

export interface Built {
  readonly stack: Stack;
  readonly caller: OutboundCaller;
  readonly template: Template;
}

/**
 * One stack with one OutboundCaller. `props` may be a function of the stack,
 * for props that are constructs (user pools, keys, APIs, tables, parameters).
 * `extra` runs after the construct exists and before the synth.
 */
export function build(
  props: Partial<OutboundCallerProps> | ((stack: Stack) => Partial<OutboundCallerProps>) = {},
  options: { env?: Environment; extra?: (stack: Stack, caller: OutboundCaller) => void } = {},
): Built {
  const stack = new Stack(testApp(), 'Test', { env: options.env });
  const extraProps = typeof props === 'function' ? props(stack) : props;
  const caller = new OutboundCaller(stack, 'Caller', { ...REQUIRED_PROPS, ...extraProps });
  options.extra?.(stack, caller);
  return { stack, caller, template: Template.fromStack(stack) };
}

export function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } } | CfnElement): string {
  const element = construct instanceof CfnElement ? construct : construct.node.defaultChild as CfnElement;
  return stack.getLogicalId(element);
}

/** The only resource of a type (fails when there are none or several). */
export function only(template: Template, type: string, props: object = {}): { id: string; resource: any } {
  const found = Object.entries(template.findResources(type, props));
  expect(found.map(([id]) => id)).toHaveLength(1);
  return { id: found[0][0], resource: found[0][1] };
}

/**
 * The one resource of a type whose logical id is the construct path's
 * (`Caller/<name>/Resource` → `Caller<name><8 hex>`), so that a test about the
 * handler finds the handler and not the status function.
 */
export function byPath(template: Template, type: string, name: string): { id: string; resource: any } {
  const pattern = new RegExp(`^Caller${name}[0-9A-F]{8}$`);
  const found = Object.entries(template.findResources(type)).filter(([id]) => pattern.test(id));
  expect(found.map(([id]) => id)).toHaveLength(1);
  return { id: found[0][0], resource: found[0][1] };
}

/** The PUT handler (Caller/Handler), not the status function. */
export function handlerFunction(template: Template): any {
  return byPath(template, 'AWS::Lambda::Function', 'Handler').resource;
}

/** The contact-events status function (Caller/StatusFunction). */
export function statusFunction(template: Template): { id: string; resource: any } {
  return byPath(template, 'AWS::Lambda::Function', 'StatusFunction');
}

/** Asserts that the handler (and not just some function of the stack) has these properties (assertions `Match` semantics). */
export function expectHandlerProperties(template: Template, properties: object): void {
  const handlerId = byPath(template, 'AWS::Lambda::Function', 'Handler').id;
  const matching = Object.keys(template.findResources('AWS::Lambda::Function', { Properties: properties }));
  expect({ handler: handlerId, matching }).toEqual({ handler: handlerId, matching: expect.arrayContaining([handlerId]) });
}

export function environment(template: Template): Record<string, unknown> {
  return handlerFunction(template).Properties.Environment.Variables;
}

/** The API Gateway method of an HTTP verb (fails when there are none or several). */
export function methodOf(template: Template, httpMethod: 'PUT' | 'GET'): { id: string; resource: any } {
  return only(template, 'AWS::ApiGateway::Method', { Properties: { HttpMethod: httpMethod } });
}

/** Asserts that the method of this verb (and not just some method of the stack) has these properties (`Match` semantics). */
export function expectMethodProperties(template: Template, httpMethod: 'PUT' | 'GET', properties: object): void {
  const id = methodOf(template, httpMethod).id;
  const matching = Object.keys(template.findResources('AWS::ApiGateway::Method', { Properties: properties }));
  expect({ method: id, matching }).toEqual({ method: id, matching: expect.arrayContaining([id]) });
}

/** The HTTP verbs of every API Gateway method of the stack, sorted. */
export function httpMethods(template: Template): string[] {
  return Object.values(template.findResources('AWS::ApiGateway::Method'))
    .map((resource: any) => resource.Properties.HttpMethod).sort();
}

/** The properties that decide who may call a method. */
export function authorizationOf(methodResource: any): object {
  const { AuthorizationType, ApiKeyRequired, AuthorizerId, AuthorizationScopes } = methodResource.Properties;
  return { AuthorizationType, ApiKeyRequired, AuthorizerId, AuthorizationScopes };
}

export interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Effect: string;
  readonly Sid?: string;
}

/** Every statement of every policy attached to a role. */
export function roleStatements(built: Built, role: iam.IRole): Statement[] {
  const roleId = logicalId(built.stack, role as iam.Role);
  const policies = built.template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } });
  return Object.values(policies).flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);
}

/** Every statement of every policy attached to the handler's role. */
export function handlerStatements(built: Built): Statement[] {
  return roleStatements(built, built.caller.handler.role as iam.Role);
}

/** Every statement of every policy attached to the status function's role. */
export function statusStatements(built: Built): Statement[] {
  expect(built.caller.statusFunction).toBeDefined();
  return roleStatements(built, built.caller.statusFunction!.role as iam.Role);
}

export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

export function withActionPrefix(statements: Statement[], prefix: string): Statement[] {
  return statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith(prefix)));
}

export function statementsWithActionPrefix(built: Built, prefix: string): Statement[] {
  return withActionPrefix(handlerStatements(built), prefix);
}

export function connectStatement(built: Built): Statement {
  const statements = statementsWithActionPrefix(built, 'connect:StartOutboundVoiceContact');
  expect(statements).toHaveLength(1);
  return statements[0];
}

/** The error OutboundCaller throws for these props (fails the test when it does not throw). */
export function propsError(props: Partial<OutboundCallerProps> | ((stack: Stack) => Partial<OutboundCallerProps>)): string {
  const stack = new Stack(testApp(), 'Test');
  try {
    new OutboundCaller(stack, 'Caller', { ...REQUIRED_PROPS, ...(typeof props === 'function' ? props(stack) : props) });
  } catch (error) {
    // Nothing was created before the check failed.
    expect(stack.node.findChild('Caller').node.children).toHaveLength(0);
    return (error as Error).message;
  }
  throw new Error('expected OutboundCaller to throw for these props');
}

/**
 * The message has one line for the prop, and that line names the rule, the
 * value (as JSON) and a fix.
 */
export function expectProblem(message: string, problem: { prop: string; rule: RegExp; value: unknown; fix: RegExp }): void {
  expect(message).toMatch(/^OutboundCaller: \d+ problem\(s\) in props:/);
  const line = message.split('\n').find((candidate) => candidate.startsWith(`  - ${problem.prop} `));
  expect(line).toBeDefined();
  expect(line).toMatch(problem.rule);
  expect(line).toContain(`got ${JSON.stringify(problem.value)}`);
  expect(line).toMatch(problem.fix);
}

export const PARTITION = { Ref: 'AWS::Partition' };
export const REGION_REF = { Ref: 'AWS::Region' };
export const ACCOUNT_REF = { Ref: 'AWS::AccountId' };

/** The 15 request fields of StartOutboundVoiceContact (README, "The HTTP contract"). */
export const REQUEST_FIELDS = [
  'DestinationPhoneNumber', 'ContactFlowId', 'InstanceId', 'QueueId', 'SourcePhoneNumber', 'Attributes',
  'ClientToken', 'AnswerMachineDetectionConfig', 'CampaignId', 'TrafficType', 'RingTimeoutInSeconds', 'Name',
  'Description', 'References', 'RelatedContactId',
];

/** What API Gateway rejects itself, in the envelope (README, "The HTTP contract"). */
export const GATEWAY_RESPONSES: Array<{ type: string; code: string; status?: string; retryAfter?: RegExp }> = [
  { type: 'BAD_REQUEST_BODY', code: 'VALIDATION_ERROR' },
  { type: 'BAD_REQUEST_PARAMETERS', code: 'VALIDATION_ERROR' },
  { type: 'UNAUTHORIZED', code: 'FORBIDDEN' },
  { type: 'MISSING_AUTHENTICATION_TOKEN', code: 'FORBIDDEN' },
  { type: 'ACCESS_DENIED', code: 'FORBIDDEN' },
  { type: 'INVALID_API_KEY', code: 'FORBIDDEN' },
  { type: 'INVALID_SIGNATURE', code: 'FORBIDDEN' },
  { type: 'EXPIRED_TOKEN', code: 'FORBIDDEN' },
  { type: 'WAF_FILTERED', code: 'FORBIDDEN' },
  { type: 'THROTTLED', code: 'RATE_LIMITED', retryAfter: /^'1'$/ },
  { type: 'QUOTA_EXCEEDED', code: 'RATE_LIMITED', retryAfter: /^'\d+'$/ },
  { type: 'REQUEST_TOO_LARGE', code: 'PAYLOAD_TOO_LARGE', status: '413' },
  { type: 'UNSUPPORTED_MEDIA_TYPE', code: 'UNSUPPORTED_MEDIA_TYPE', status: '415' },
  { type: 'DEFAULT_4XX', code: 'REQUEST_REJECTED' },
  { type: 'DEFAULT_5XX', code: 'INTERNAL_ERROR' },
];
