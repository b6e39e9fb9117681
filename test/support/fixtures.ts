import { Duration, Stack } from 'aws-cdk-lib';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  ACCOUNT, CONTACT_FLOW_ID, INSTANCE_ID, OTHER_CONTACT_FLOW_ID, OTHER_QUEUE_ID, OTHER_SOURCE_PHONE_NUMBER, QUEUE_ID, REGION,
  SOURCE_PHONE_NUMBER,
} from './ids';
import { CallerAuthorization, CallingHours, OutboundCaller, OutboundCallerProps } from '../../src';

export * from './ids';

/** The props every OutboundCaller needs. */
export const REQUIRED_PROPS: OutboundCallerProps = {
  instanceId: INSTANCE_ID,
  contactFlowId: CONTACT_FLOW_ID,
  sourcePhoneNumber: SOURCE_PHONE_NUMBER,
};

export function instanceArn(instanceId = INSTANCE_ID, partition = 'aws', region = REGION, account = ACCOUNT): string {
  return `arn:${partition}:connect:${region}:${account}:instance/${instanceId}`;
}

export function contactFlowArn(flowId: string, instanceId = INSTANCE_ID): string {
  return `${instanceArn(instanceId)}/contact-flow/${flowId}`;
}

export function queueArn(queueId: string, instanceId = INSTANCE_ID): string {
  return `${instanceArn(instanceId)}/queue/${queueId}`;
}

/**
 * A user pool as a careful user would configure it (strong passwords, MFA,
 * threat protection), so that policy checks of a stack with it report only
 * what OutboundCaller does.
 */
export function compliantUserPool(stack: Stack, id = 'Callers'): cognito.UserPool {
  return new cognito.UserPool(stack, id, {
    passwordPolicy: {
      minLength: 12, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true,
    },
    mfa: cognito.Mfa.REQUIRED,
    mfaSecondFactor: { otp: true, sms: false },
    featurePlan: cognito.FeaturePlan.PLUS,
    standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
  });
}

/**
 * A customer-managed key as a careful user would configure it: rotation on,
 * and grants only for AWS services (Control Tower CT.KMS.PR.3).
 */
export function compliantKey(stack: Stack, id = 'LedgerKey'): kms.Key {
  const key = new kms.Key(stack, id, { enableKeyRotation: true, description: 'OutboundCaller ledger' });
  key.addToResourcePolicy(new iam.PolicyStatement({
    effect: iam.Effect.DENY,
    actions: ['kms:CreateGrant'],
    principals: [new iam.AnyPrincipal()],
    resources: ['*'],
    conditions: {
      BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
    },
  }));
  return key;
}

/** Every prop set to a non-default value (Cognito auth, KMS keys, allow-lists, batch calls, …). */
export function fullyConfiguredProps(stack: Stack): OutboundCallerProps {
  return {
    instanceId: instanceArn(),
    contactFlowId: contactFlowArn(CONTACT_FLOW_ID),
    sourcePhoneNumber: SOURCE_PHONE_NUMBER,
    queueId: queueArn(QUEUE_ID),
    allowedContactFlowIds: [OTHER_CONTACT_FLOW_ID],
    allowedQueueIds: [queueArn(OTHER_QUEUE_ID)],
    allowedSourcePhoneNumbers: [OTHER_SOURCE_PHONE_NUMBER],
    allowedDestinationCountries: ['US', 'CA'],
    blockPremiumRateNumbers: true,
    allowCampaignCalls: true,
    callingHours: CallingHours.usTelemarketing({ fallbackTimeZone: 'America/New_York' }),
    authorization: CallerAuthorization.cognito([compliantUserPool(stack)], { authorizationScopes: ['outbound/call'] }),
    throttle: { rateLimit: 1, burstLimit: 3 },
    idempotencyWindow: Duration.days(1),
    encryptionKey: compliantKey(stack),
    tracing: true,
    memorySize: 512,
    timeout: Duration.seconds(20),
    reservedConcurrentExecutions: 5,
    connectQuota: { rateLimit: 3, burstLimit: 6 },
    batchCalls: {
      dialRatePerSecond: 2,
      submitThrottle: { rateLimit: 0.5, burstLimit: 1 },
      maxReceiveCount: 8,
      encryptionKey: compliantKey(stack, 'QueueKey'),
    },
  };
}

/**
 * Alarms (notifying an encrypted, TLS-only SNS topic, as a careful user would
 * configure it) and the dashboard, both on.
 */
export function monitorFully(caller: OutboundCaller, stack: Stack): void {
  const topic = new sns.Topic(stack, 'OnCall', { enforceSSL: true, masterKey: compliantKey(stack, 'OnCallKey') });
  caller.addAlarms({ alarmActions: [new actions.SnsAction(topic)], okActions: [new actions.SnsAction(topic)] });
  caller.addDashboard();
}
