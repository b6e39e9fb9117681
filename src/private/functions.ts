import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge, Acknowledgement, LOG_GROUP_ENCRYPTION, NO_VPC, XRAY_WILDCARD } from './acknowledgements';
import type { ResolvedProps } from './resolve-props';

/** Construct ids of a function and of the role and log group made for it. */
export interface FunctionIds {
  readonly role: string;
  readonly logs: string;
  readonly function: string;
}

/** The generated Function class of a handler entry. */
export type FunctionClass<F extends lambda.Function> = new (scope: Construct, id: string, props: lambda.FunctionOptions) => F;

export interface FunctionOptions {
  readonly roleDescription: string;
  /** What differs between the functions (description, memory, timeout, environment, …). */
  readonly props: lambda.FunctionOptions;
  /** Acknowledged on the function, before the VPC finding. */
  readonly functionAcknowledgements?: Acknowledgement[];
  /** Acknowledged on the role's policy, before the X-Ray wildcard. */
  readonly policyAcknowledgements?: Acknowledgement[];
}

/**
 * A function as both handlers need it: arm64, JSON logs in a log group of its
 * own (with the construct's retention and removal policy), X-Ray when tracing
 * is on, and a role of its own that starts with nothing but writing those
 * logs. Its policy findings are acknowledged here, where it is made.
 */
export function createFunction<F extends lambda.Function>(
  scope: Construct, resolved: ResolvedProps, type: FunctionClass<F>, ids: FunctionIds, options: FunctionOptions,
): { fn: F; role: iam.Role } {
  const role = new iam.Role(scope, ids.role, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: options.roleDescription,
  });
  const logGroup = new logs.LogGroup(scope, ids.logs, {
    retention: resolved.logRetention,
    removalPolicy: resolved.removalPolicy,
  });
  logGroup.grantWrite(role);
  const fn = new type(scope, ids.function, {
    ...options.props,
    architecture: lambda.Architecture.ARM_64,
    tracing: resolved.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
    loggingFormat: lambda.LoggingFormat.JSON,
    logGroup,
    role,
  });

  const policy = role.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined;
  const policyAcknowledgements = [...options.policyAcknowledgements ?? [], ...(resolved.tracing ? [XRAY_WILDCARD] : [])];
  if (policy && policyAcknowledgements.length > 0) acknowledge(policy, policyAcknowledgements);
  acknowledge(fn, [...options.functionAcknowledgements ?? [], NO_VPC]);
  acknowledge(logGroup, [LOG_GROUP_ENCRYPTION]);
  return { fn, role };
}
