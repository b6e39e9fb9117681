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

/** Every acknowledgement made, for the README table and the tests. */
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
