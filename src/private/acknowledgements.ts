import { CfnResource } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * A policy finding the design justifies, acknowledged on the resource itself
 * as metadata that cdk-nag (`cdk_nag.rules_to_suppress`) and cfn-guard
 * (`guard.SuppressedRules`) read. No runtime dependency on either tool: a user
 * who runs them on their app sees only the findings they must decide.
 */
export interface Acknowledgement {
  /** cdk-nag rule id, e.g. `AwsSolutions-IAM5`. */
  readonly nag?: string;
  /** cfn-guard rule name as the rule file names it (Control Tower: lower case), e.g. `lambda_inside_vpc_check`. */
  readonly guard?: string;
  /** Why this is right here; shown to reviewers (cdk-nag needs at least 10 characters). */
  readonly reason: string;
  /** For cdk-nag findings about specific values (IAM5 wildcards): which ones, literally or as a regex. */
  readonly appliesTo?: Array<string | { regex: string }>;
}

/**
 * Writes the acknowledgements into the resource's metadata (the resource
 * itself, or the construct's default child), after any it already carries.
 */
export function acknowledge(construct: IConstruct, acknowledgements: Acknowledgement[]): void {
  const resource = construct instanceof CfnResource ? construct : construct.node.defaultChild;
  if (!(resource instanceof CfnResource)) {
    throw new Error(`cannot acknowledge findings on ${construct.node.path}: it is not a CloudFormation resource`);
  }
  const nag = resource.getMetadata('cdk_nag') ?? {};
  const rules: object[] = [...(nag.rules_to_suppress ?? [])];
  const guard = resource.getMetadata('guard') ?? {};
  const suppressed: string[] = [...(guard.SuppressedRules ?? [])];
  for (const ack of acknowledgements) {
    if (ack.nag) {
      rules.push({ id: ack.nag, reason: ack.reason, ...(ack.appliesTo ? { applies_to: ack.appliesTo } : {}) });
    }
    if (ack.guard && !suppressed.includes(ack.guard)) suppressed.push(ack.guard);
  }
  if (rules.length > 0) resource.addMetadata('cdk_nag', { ...nag, rules_to_suppress: rules });
  if (suppressed.length > 0) resource.addMetadata('guard', { ...guard, SuppressedRules: suppressed });
}

/** X-Ray's PutTraceSegments/PutTelemetryRecords: on a traced function's policy. */
export const XRAY_WILDCARD: Acknowledgement = {
  nag: 'AwsSolutions-IAM5',
  reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions: "*" is the only valid resource.',
  appliesTo: ['Resource::*'],
};

/** On each function: why it runs outside a VPC. */
export const NO_VPC: Acknowledgement = {
  guard: 'lambda_inside_vpc_check',
  reason: 'The function talks only to AWS APIs (Connect, DynamoDB) under IAM; a VPC would add NAT or endpoint cost and cold-start time without reducing exposure.',
};

/** On each log group: why CloudWatch Logs' own encryption is enough. */
export const LOG_GROUP_ENCRYPTION: Acknowledgement = {
  guard: 'cloudwatch_log_group_encrypted_check',
  reason: 'CloudWatch Logs encrypts all log data at rest with service-managed keys; these logs hold no phone numbers (masked to the last 4 digits), so a customer-managed key adds key management without protecting more.',
};
