import { Fn, IResolvable, Stack, Token } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CallerAuthorization, CallerAuthorizationMode } from '../caller-authorization';
import { acknowledge, LOG_GROUP_ENCRYPTION } from './acknowledgements';
import { ROUTES } from './contract';
import { addErrorGatewayResponses } from './gateway-responses';
import type { OpenApiOptions } from './openapi';
import { batchRequestSchema, outboundVoiceRequestSchema } from './request-schema';
import type { ResolvedProps, Throttle } from './resolve-props';

/** A route's stage throttle. */
interface RouteThrottle extends Throttle {
  readonly path: string;
  readonly method: string;
}

/**
 * The PUT route with its share of the Connect quota, the status GET with its
 * own limits, and with batch calls the batch submission with its own limits and
 * the batch GET and DELETE with the status route's.
 */
function routeThrottles(resolved: ResolvedProps): RouteThrottle[] {
  return [
    { path: ROUTES.placeCall, method: 'PUT', ...resolved.throttle },
    ...(resolved.callStatus ? [{ path: ROUTES.callStatus, method: 'GET', ...resolved.statusThrottle }] : []),
    ...(resolved.batchCalls ? [
      { path: ROUTES.batches, method: 'POST', ...resolved.batchCalls.submitThrottle },
      { path: ROUTES.batch, method: 'GET', ...resolved.statusThrottle },
      { path: ROUTES.batch, method: 'DELETE', ...resolved.statusThrottle },
    ] : []),
  ];
}

/**
 * The REST API the routes go on: the user's (whose deployment stage gets the
 * routes' throttles), or a new one with the secure defaults: JSON access logs,
 * tracing, the routes' throttles and every gateway error in the envelope.
 */
export function buildRestApi(scope: Construct, resolved: ResolvedProps): apigw.IRestApi {
  if (resolved.restApi) {
    throttleRoutesOnExistingStage(resolved.restApi, routeThrottles(resolved));
    return resolved.restApi;
  }
  const [put, ...others] = routeThrottles(resolved);
  const accessLogs = new logs.LogGroup(scope, 'AccessLogs', {
    retention: resolved.logRetention,
    removalPolicy: resolved.removalPolicy,
  });
  acknowledge(accessLogs, [LOG_GROUP_ENCRYPTION]);
  const api = new apigw.RestApi(scope, 'Api', {
    description: 'OutboundCaller: places outbound calls through Amazon Connect',
    endpointConfiguration: { types: [resolved.endpointType] },
    cloudWatchRole: false,
    deployOptions: {
      tracingEnabled: resolved.tracing,
      accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
      accessLogFormat: apigw.AccessLogFormat.custom(JSON.stringify({
        requestId: apigw.AccessLogField.contextRequestId(),
        extendedRequestId: apigw.AccessLogField.contextExtendedRequestId(),
        requestTime: apigw.AccessLogField.contextRequestTime(),
        ip: apigw.AccessLogField.contextIdentitySourceIp(),
        caller: apigw.AccessLogField.contextIdentityCaller(),
        user: apigw.AccessLogField.contextIdentityUser(),
        apiKeyId: apigw.AccessLogField.contextIdentityApiKeyId(),
        httpMethod: apigw.AccessLogField.contextHttpMethod(),
        resourcePath: apigw.AccessLogField.contextResourcePath(),
        status: apigw.AccessLogField.contextStatus(),
        protocol: apigw.AccessLogField.contextProtocol(),
        responseLength: apigw.AccessLogField.contextResponseLength(),
        integrationLatency: apigw.AccessLogField.contextIntegrationLatency(),
        errorResponseType: apigw.AccessLogField.contextErrorResponseType(),
      })),
      loggingLevel: resolved.executionLoggingLevel,
      // Stage default: the Connect quota; then each route's own setting.
      throttlingRateLimit: put.rateLimit,
      throttlingBurstLimit: put.burstLimit,
      methodOptions: Object.fromEntries([put, ...others].map((route) => [
        `${route.path}/${route.method}`,
        { throttlingRateLimit: route.rateLimit, throttlingBurstLimit: route.burstLimit },
      ])),
    },
  });
  addErrorGatewayResponses(api);
  acknowledge(api.deploymentStage, [{
    nag: 'AwsSolutions-APIG3',
    reason: 'Every request is schema-validated and throttled (stage and route limits, the Connect quota by default); a WAF web ACL is an account-level choice: associate yours with the stage ARN.',
  }]);
  if (resolved.executionLoggingLevel === apigw.MethodLoggingLevel.OFF) {
    acknowledge(api.deploymentStage, [{
      nag: 'AwsSolutions-APIG6',
      guard: 'api_gw_v1_execution_logging_enabled_check',
      reason: 'JSON access logs record every request with its request id, caller and status; execution logs need the account-wide API Gateway CloudWatch role, which a construct must not create for the account (set executionLoggingLevel once it exists).',
    }]);
  }
  return api;
}

/** With a REST API of the user's, the routes still get their throttles on its deployment stage. */
function throttleRoutesOnExistingStage(api: apigw.IRestApi, routes: RouteThrottle[]): void {
  const stage = api.deploymentStage?.node.defaultChild;
  if (!(stage instanceof apigw.CfnStage)) {
    throw new Error('OutboundCaller: restApi has no deployment stage defined in this app, so the route\'s throttle '
      + `could not be applied; got ${api.node.path}. Use a RestApi with deploy: true (the default).`);
  }
  const settings = stage.methodSettings;
  if (Token.isUnresolved(settings)) {
    throw new Error('OutboundCaller: the method settings of restApi\'s deployment stage are a token, so the route\'s '
      + 'throttle could not be added to them. Set them as a list, or let OutboundCaller create the API.');
  }
  const existing = (settings as Array<apigw.CfnStage.MethodSettingProperty | IResolvable> | undefined) ?? [];
  stage.methodSettings = [...existing, ...routes.map((route) => ({
    // API Gateway's method-setting path: "/" escaped as "~1".
    resourcePath: `/${route.path.replace(/\//g, '~1')}`,
    httpMethod: route.method,
    throttlingRateLimit: route.rateLimit,
    throttlingBurstLimit: route.burstLimit,
  }))];
}

/** The methods of the routes. */
export interface Routes {
  readonly method: apigw.Method;
  readonly statusMethod?: apigw.Method;
  /** With batch calls: `POST …/batches`, `GET` and `DELETE …/batches/{batchId}`. */
  readonly batchMethods?: BatchMethods;
}

/** The methods of the batch routes. */
export interface BatchMethods {
  readonly submit: apigw.Method;
  readonly status: apigw.Method;
  readonly cancel: apigw.Method;
}

/**
 * `PUT /contact/outbound-voice` (body checked against the request model
 * built from the shared contract) and, with call status,
 * `GET /contact/outbound-voice/{contactId}`; both with the same authorization,
 * both served by the handler; with batch calls the batch routes, served by
 * the batch API function.
 */
export function addRoutes(
  scope: Construct, api: apigw.IRestApi, handler: lambda.IFunction, resolved: ResolvedProps, batchApi?: lambda.IFunction,
): Routes {
  const model = new apigw.Model(scope, 'RequestModel', {
    restApi: api,
    contentType: 'application/json',
    description: 'StartOutboundVoiceContact request (PascalCase fields; unknown fields refused)',
    schema: outboundVoiceRequestSchema(),
  });
  const validator = new apigw.RequestValidator(scope, 'RequestValidator', {
    restApi: api,
    validateRequestBody: true,
    validateRequestParameters: true,
  });
  const resource = api.root.resourceForPath(ROUTES.placeCall);
  const methodAuthorization = authorizationOptions(scope, resolved.authorization);
  const integration = (): apigw.LambdaIntegration => new apigw.LambdaIntegration(handler, { allowTestInvoke: false });
  const method = resource.addMethod('PUT', integration(), {
    ...methodAuthorization,
    requestValidator: validator,
    requestModels: { 'application/json': model },
    requestParameters: { 'method.request.header.Idempotency-Key': false },
  });
  const statusMethod = resolved.callStatus
    ? resource.addResource('{contactId}').addMethod('GET', integration(), {
      ...methodAuthorization,
      requestValidator: validator,
      requestParameters: { 'method.request.path.contactId': true },
    })
    : undefined;
  const batchIntegration = (): apigw.LambdaIntegration => new apigw.LambdaIntegration(batchApi!, { allowTestInvoke: false });
  const batchMethods = resolved.batchCalls && batchApi
    ? addBatchRoutes(scope, api, batchIntegration, methodAuthorization, validator) : undefined;

  for (const routeMethod of [method, statusMethod, batchMethods?.submit, batchMethods?.status, batchMethods?.cancel]) {
    if (!routeMethod) continue;
    // LambdaIntegration's permissions: apigateway.amazonaws.com, restricted by SourceArn to each method.
    for (const child of routeMethod.node.children) {
      if (child instanceof lambda.CfnPermission) {
        acknowledge(child, [{
          guard: 'lambda_function_public_access_prohibited_check',
          reason: 'Principal is apigateway.amazonaws.com with SourceArn set to this API\'s method; the rule cannot evaluate the Fn::Join that builds that ARN.',
        }]);
      }
    }
    if (resolved.authorization.mode === CallerAuthorizationMode.IAM) {
      acknowledge(routeMethod, [{
        nag: 'AwsSolutions-COG4',
        reason: 'The method uses IAM (SigV4) authorization: callers are AWS principals granted execute-api:Invoke on these routes alone.',
      }]);
    }
  }
  return { method, statusMethod, batchMethods };
}

/**
 * With batch calls: `POST /contact/outbound-voice/batches` (body checked
 * against the batch model: each call a body of the PUT route, with ClientToken
 * required) and `GET`/`DELETE /contact/outbound-voice/batches/{batchId}`.
 */
function addBatchRoutes(
  scope: Construct, api: apigw.IRestApi, integration: () => apigw.LambdaIntegration,
  methodAuthorization: apigw.MethodOptions, validator: apigw.IRequestValidator,
): BatchMethods {
  const model = new apigw.Model(scope, 'BatchRequestModel', {
    restApi: api,
    contentType: 'application/json',
    description: 'A batch of StartOutboundVoiceContact requests, each with a ClientToken (unknown fields refused)',
    schema: batchRequestSchema(),
  });
  const batches = api.root.resourceForPath(ROUTES.batches);
  const submit = batches.addMethod('POST', integration(), {
    ...methodAuthorization,
    requestValidator: validator,
    requestModels: { 'application/json': model },
  });
  const batch = batches.addResource('{batchId}');
  const byId: apigw.MethodOptions = {
    ...methodAuthorization,
    requestValidator: validator,
    requestParameters: { 'method.request.path.batchId': true },
  };
  return { submit, status: batch.addMethod('GET', integration(), byId), cancel: batch.addMethod('DELETE', integration(), byId) };
}

function authorizationOptions(scope: Construct, authorization: CallerAuthorization): apigw.MethodOptions {
  switch (authorization.mode) {
    case CallerAuthorizationMode.IAM:
      return { authorizationType: apigw.AuthorizationType.IAM };
    case CallerAuthorizationMode.API_KEY:
      return { authorizationType: apigw.AuthorizationType.NONE, apiKeyRequired: true };
    case CallerAuthorizationMode.COGNITO:
      return {
        authorizationType: apigw.AuthorizationType.COGNITO,
        authorizer: new apigw.CognitoUserPoolsAuthorizer(scope, 'Authorizer', {
          cognitoUserPools: authorization.userPools ?? [],
        }),
        authorizationScopes: authorization.cognitoOptions?.authorizationScopes,
      };
    case CallerAuthorizationMode.NONE:
      return { authorizationType: apigw.AuthorizationType.NONE };
  }
}

/**
 * With `CallerAuthorization.apiKey()`: a usage plan whose per-key throttle is
 * the status routes' (they may be polled faster than calls may be placed), with
 * the PUT (and the batch submission) held to its own throttle; and an API key
 * unless the user brings theirs.
 */
export function addUsagePlan(
  scope: Construct, api: apigw.IRestApi, routes: Routes, resolved: ResolvedProps,
): { usagePlan?: apigw.UsagePlan; apiKey?: apigw.IApiKey } {
  const { authorization, callStatus, throttle, statusThrottle, batchCalls } = resolved;
  if (authorization.mode !== CallerAuthorizationMode.API_KEY) return {};
  const pollable = callStatus || batchCalls !== undefined;
  const methodThrottles: apigw.ThrottlingPerMethod[] = [
    ...(pollable ? [{ method: routes.method, throttle }] : []),
    ...(batchCalls && routes.batchMethods ? [{ method: routes.batchMethods.submit, throttle: batchCalls.submitThrottle }] : []),
  ];
  const usagePlan = new apigw.UsagePlan(scope, 'UsagePlan', {
    description: 'OutboundCaller callers',
    throttle: pollable ? statusThrottle : throttle,
    quota: authorization.apiKeyOptions?.quota,
    apiStages: [{
      api,
      stage: api.deploymentStage,
      throttle: methodThrottles.length > 0 ? methodThrottles : undefined,
    }],
  });
  if (!(authorization.apiKeyOptions?.createApiKey ?? true)) return { usagePlan };
  const apiKey = new apigw.ApiKey(scope, 'ApiKey', { description: 'OutboundCaller caller key' });
  usagePlan.addApiKey(apiKey);
  return { usagePlan, apiKey };
}

/** What the OpenAPI document of this construct's API says: its stage URL, auth mode, defaults and allow-lists. */
export function openApiOptions(scope: Construct, api: apigw.IRestApi, resolved: ResolvedProps): OpenApiOptions {
  const stack = Stack.of(scope);
  return {
    authModes: [resolved.authorization.mode],
    callStatus: resolved.callStatus,
    batchCalls: resolved.batchCalls !== undefined,
    callingHoursOnSyncRoute: resolved.callingHours?.enforceOnSyncRoute ?? false,
    serverUrl: Fn.join('', [
      'https://', api.restApiId, '.execute-api.', stack.region, '.', stack.urlSuffix, '/', api.deploymentStage.stageName,
    ]),
    cognitoProviderArns: resolved.authorization.userPools?.map((pool) => pool.userPoolArn),
    configuration: {
      instanceId: resolved.instance.instanceId,
      defaults: {
        ContactFlowId: resolved.contactFlowId,
        ...(resolved.queueId !== undefined ? { QueueId: resolved.queueId } : {}),
        ...(resolved.sourcePhoneNumber !== undefined ? { SourcePhoneNumber: resolved.sourcePhoneNumber } : {}),
      },
      allowedContactFlowIds: [resolved.contactFlowId, ...resolved.allowedContactFlowIds],
      allowedQueueIds: [...(resolved.queueId !== undefined ? [resolved.queueId] : []), ...resolved.allowedQueueIds],
      allowedSourcePhoneNumbers: [
        ...(resolved.sourcePhoneNumber !== undefined ? [resolved.sourcePhoneNumber] : []), ...resolved.allowedSourcePhoneNumbers,
      ],
      allowedDestinationCountries: resolved.allowedDestinationCountries ?? '*',
      blockPremiumRateNumbers: resolved.blockPremiumRateNumbers,
      allowCampaignCalls: resolved.allowCampaignCalls,
      authorization: resolved.authorization.mode,
      idempotencyWindowSeconds: resolved.idempotencyWindowSeconds,
      throttle: resolved.throttle,
      ...(resolved.batchCalls ? {
        connectQuota: resolved.connectQuota,
        batchCalls: {
          dialRatePerSecond: resolved.batchCalls.dialRatePerSecond,
          submitThrottle: resolved.batchCalls.submitThrottle,
        },
      } : {}),
    },
  };
}
