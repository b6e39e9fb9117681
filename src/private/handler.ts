import { Aws, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { Acknowledgement } from './acknowledgements';
import { ALL_COUNTRIES, ENV, METRICS } from './contract';
import { createFunction } from './functions';
import { grantLedger } from './ledger-table';
import { OutboundCallerFunction } from './outbound-caller-function';
import type { ResolvedProps } from './resolve-props';

/**
 * The handler of both routes, with a role that can do exactly what it does:
 * start outbound voice contacts on this one instance (and, with call status,
 * describe them), and the ledger item
 * actions it really uses (claim, record, release, and read a call's status).
 */
export function buildHandler(scope: Construct, resolved: ResolvedProps, table: dynamodb.ITable): lambda.Function {
  const ids = { role: 'HandlerRole', logs: 'HandlerLogs', function: 'Handler' };
  const { fn, role } = createFunction(scope, resolved, OutboundCallerFunction, ids, {
    roleDescription: 'OutboundCaller handler: start outbound voice contacts on one Connect instance, use its ledger',
    props: {
      description: 'OutboundCaller: PUT /contact/outbound-voice',
      memorySize: resolved.memorySize,
      timeout: resolved.timeout,
      reservedConcurrentExecutions: resolved.reservedConcurrentExecutions,
      environment: handlerEnvironment(resolved, table),
    },
    functionAcknowledgements: [{
      nag: 'Serverless-LambdaDLQ',
      reason: 'Invoked synchronously by API Gateway only: the caller receives every failure in the response, so a DLQ would never hold anything.',
    }],
    policyAcknowledgements: [CONNECT_CONTACT_WILDCARD],
  });

  const { contactArn } = grantPlaceCalls(scope, role, resolved);
  if (resolved.callStatus) {
    // The status route asks Connect about a call whose contact events did not come.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'DescribeContactOnThisInstance',
      actions: ['connect:DescribeContact'],
      resources: [contactArn],
    }));
  }
  // GetItem: a call's status, and the replay of a request refused outside the calling hours.
  const getItem = resolved.callStatus || resolved.callingHours?.enforceOnSyncRoute;
  grantLedger(role, table, ['PutItem', 'UpdateItem', 'DeleteItem', ...(getItem ? ['GetItem'] : [])], resolved.callStatus);
  resolved.ledgerKey?.grant(role, 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey',
    'kms:ReEncryptFrom', 'kms:ReEncryptTo');
  return fn;
}

/**
 * What placing a call needs, for the handler and the batch dispatcher alike:
 * StartOutboundVoiceContact on this instance's contacts, and with
 * `contactSearchAttribute` the search for a dead attempt's call.
 */
export function grantPlaceCalls(scope: Construct, role: iam.Role, resolved: ResolvedProps): { contactArn: string } {
  const { instance } = resolved;
  const stack = Stack.of(scope);
  const instanceArn = `arn:${instance.partition ?? Aws.PARTITION}:connect:${instance.region ?? stack.region}:`
    + `${instance.account ?? stack.account}:instance/${instance.instanceId}`;
  const contactArn = `${instanceArn}/contact/*`;
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'StartOutboundVoiceContactOnThisInstance',
    actions: ['connect:StartOutboundVoiceContact'],
    resources: [contactArn],
  }));
  if (resolved.contactSearchAttribute) {
    // A retry that takes over a dead attempt's claim looks for that attempt's call by its digest attribute.
    // SearchContacts authorizes on the instance; searching by contact attributes also needs GetContactAttributes.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'SearchContactsOfThisInstance',
      actions: ['connect:SearchContacts'],
      resources: [instanceArn],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'GetContactAttributesOnThisInstance',
      actions: ['connect:GetContactAttributes'],
      resources: [contactArn],
    }));
  }
  return { contactArn };
}

/** Why the `contact/*` wildcard of StartOutboundVoiceContact (and its companions) is right. */
export const CONNECT_CONTACT_WILDCARD: Acknowledgement = {
  nag: 'AwsSolutions-IAM5',
  reason: 'StartOutboundVoiceContact authorizes on instance/<id>/contact/*: the contact id does not exist '
    + 'before the call, so the wildcard is scoped to contacts of this one instance (the API reference\'s own example). '
    + 'DescribeContact (the status route\'s lookup of a call whose events were lost) and, with '
    + 'contactSearchAttribute, GetContactAttributes (searching contacts by attribute) use the same scope.',
  appliesTo: [{ regex: '/^Resource::arn:.*:connect:.*:instance\\/.*\\/contact\\/\\*$/' }],
};

/** The handler's configuration: the variables of the shared contract, read once at cold start. */
export function handlerEnvironment(resolved: ResolvedProps, table: dynamodb.ITable): Record<string, string> {
  const countries = resolved.allowedDestinationCountries;
  return {
    [ENV.instanceId]: resolved.instance.instanceId,
    [ENV.contactFlowId]: resolved.contactFlowId,
    ...(resolved.sourcePhoneNumber ? { [ENV.sourcePhoneNumber]: resolved.sourcePhoneNumber } : {}),
    ...(resolved.queueId ? { [ENV.queueId]: resolved.queueId } : {}),
    [ENV.allowedContactFlowIds]: resolved.allowedContactFlowIds.join(','),
    [ENV.allowedQueueIds]: resolved.allowedQueueIds.join(','),
    [ENV.allowedSourcePhoneNumbers]: resolved.allowedSourcePhoneNumbers.join(','),
    [ENV.allowedDestinationCountries]: countries ? countries.join(',') : ALL_COUNTRIES,
    [ENV.blockPremiumRateNumbers]: String(resolved.blockPremiumRateNumbers),
    [ENV.allowCampaignCalls]: String(resolved.allowCampaignCalls),
    [ENV.authMode]: resolved.authorization.mode,
    [ENV.tableName]: table.tableName,
    [ENV.idempotencyWindowSeconds]: String(resolved.idempotencyWindowSeconds),
    [ENV.metricsNamespace]: METRICS.namespace,
    [ENV.callStatus]: String(resolved.callStatus),
    ...(resolved.contactSearchAttribute ? { [ENV.contactSearchAttribute]: resolved.contactSearchAttribute } : {}),
    ...(resolved.callingHours ? {
      [ENV.callingHours]: JSON.stringify(resolved.callingHours.policy),
      [ENV.callingHoursSync]: String(resolved.callingHours.enforceOnSyncRoute),
    } : {}),
  };
}

