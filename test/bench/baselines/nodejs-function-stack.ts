/**
 * Baseline for synth time: the stack a user builds without a pre-bundled
 * construct. The same two handler sources as OutboundCaller (the API handler
 * and the contact-events handler), each a `NodejsFunction` that esbuild
 * bundles at synth time with the shipped handler's esbuild settings, behind
 * the same core resources: a REGIONAL REST API with the PUT and GET routes
 * (IAM auth), the ledger table (PAY_PER_REQUEST, TTL, point-in-time
 * recovery), the contact-events rule with a dead-letter queue, and the grants.
 *
 * It has fewer resources than OutboundCaller's stack (no request model and
 * validator, gateway responses, access logs, policy acknowledgements …):
 * the benchmark prints both resource counts next to the times.
 */
import * as path from 'node:path';
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export const REPO_ROOT = path.join(__dirname, '..', '..', '..');

/** The shipped handler's esbuild flags (.projenrc.ts ESBUILD_FLAGS), as NodejsFunction options. */
function bundling(): nodejs.BundlingOptions {
  return {
    // esbuild is installed locally: bundle with it, never with Docker.
    forceDockerBundling: false,
    target: 'node24',
    format: nodejs.OutputFormat.CJS,
    minify: true,
    sourceMap: false,
    mainFields: ['module', 'main'],
    // Bundle the SDK too, like the shipped handler (the default leaves @aws-sdk/* out).
    externalModules: [],
    tsconfig: path.join(REPO_ROOT, 'test', 'tsconfig.json'),
    esbuildArgs: { '--legal-comments': 'none', '--supported:dynamic-import': 'false' },
  };
}

export interface NodejsFunctionStackProps extends StackProps {
  readonly instanceId: string;
  readonly contactFlowId: string;
  readonly sourcePhoneNumber: string;
}

export class NodejsFunctionStack extends Stack {
  constructor(scope: Construct, id: string, props: NodejsFunctionStackProps) {
    super(scope, id, props);
    const table = new dynamodb.Table(this, 'Ledger', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiresAt',
    });
    const common: nodejs.NodejsFunctionProps = {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      projectRoot: REPO_ROOT,
      bundling: bundling(),
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      timeout: Duration.seconds(28),
    };
    const handler = new nodejs.NodejsFunction(this, 'Handler', {
      ...common,
      entry: path.join(REPO_ROOT, 'lambda', 'outbound-caller.lambda.ts'),
      environment: {
        INSTANCE_ID: props.instanceId,
        CONTACT_FLOW_ID: props.contactFlowId,
        SOURCE_PHONE_NUMBER: props.sourcePhoneNumber,
        LEDGER_TABLE_NAME: table.tableName,
        CALL_STATUS: 'true',
      },
    });
    table.grant(handler, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem');
    handler.addToRolePolicy(new iam.PolicyStatement({
      actions: ['connect:StartOutboundVoiceContact'],
      resources: [this.formatArn({ service: 'connect', resource: 'instance', resourceName: `${props.instanceId}/contact/*` })],
    }));

    const statusFunction = new nodejs.NodejsFunction(this, 'ContactEvents', {
      ...common,
      entry: path.join(REPO_ROOT, 'lambda', 'contact-events.lambda.ts'),
      environment: { LEDGER_TABLE_NAME: table.tableName },
    });
    table.grant(statusFunction, 'dynamodb:UpdateItem');
    const deadLetterQueue = new sqs.Queue(this, 'DeadLetters', { enforceSSL: true });
    new events.Rule(this, 'ContactEventsRule', {
      eventPattern: { source: ['aws.connect'], detailType: ['Amazon Connect Contact Event'] },
      targets: [new targets.LambdaFunction(statusFunction, { deadLetterQueue, retryAttempts: 3 })],
    });

    const api = new apigw.RestApi(this, 'Api', {
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      deployOptions: { throttlingRateLimit: 2, throttlingBurstLimit: 5, tracingEnabled: true },
    });
    const route = api.root.addResource('contact').addResource('outbound-voice');
    const integration = new apigw.LambdaIntegration(handler);
    route.addMethod('PUT', integration, { authorizationType: apigw.AuthorizationType.IAM });
    route.addResource('{contactId}').addMethod('GET', integration, { authorizationType: apigw.AuthorizationType.IAM });
  }
}
