import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';

/**
 * How API Gateway authenticates callers of the route. The caller identity it
 * establishes (IAM principal ARN, API key id or Cognito `sub`) also scopes the
 * idempotency keys: one caller's key never replays another caller's call.
 */
export enum CallerAuthorizationMode {
  /** AWS Signature Version 4: the caller is the IAM user or role ARN. */
  IAM = 'IAM',
  /** An API key with a usage plan: the caller is the API key id. */
  API_KEY = 'API_KEY',
  /** A Cognito user pool token: the caller is the token's `sub`. */
  COGNITO = 'COGNITO',
  /** No authentication: every request is the same anonymous caller. */
  NONE = 'NONE',
}

/** Options for `CallerAuthorization.apiKey()`. */
export interface ApiKeyAuthorizationOptions {
  /**
   * A quota for the usage plan (requests per day, week or month).
   *
   * @default - no quota; the throttle still applies
   */
  readonly quota?: apigw.QuotaSettings;

  /**
   * Create one API key and attach it to the usage plan. Set to false to add
   * your own keys to `OutboundCaller.usagePlan`.
   *
   * @default true
   */
  readonly createApiKey?: boolean;
}

/** Options for `CallerAuthorization.cognito()`. */
export interface CognitoAuthorizationOptions {
  /**
   * OAuth scopes the access token must carry. Without scopes, API Gateway
   * accepts the ID token.
   *
   * @default - no scopes required
   */
  readonly authorizationScopes?: string[];
}

/**
 * Who may call the route. IAM is the default; `none()` must be chosen
 * explicitly.
 */
export class CallerAuthorization {
  /** Callers sign requests with SigV4; grant them with `OutboundCaller.grantInvoke()`. */
  public static iam(): CallerAuthorization {
    return new CallerAuthorization(CallerAuthorizationMode.IAM);
  }

  /** Callers send an `x-api-key` header; a usage plan carries the throttle (and an optional quota). */
  public static apiKey(options: ApiKeyAuthorizationOptions = {}): CallerAuthorization {
    return new CallerAuthorization(CallerAuthorizationMode.API_KEY, undefined, options);
  }

  /** Callers send a Cognito user pool token in the `Authorization` header. */
  public static cognito(userPools: cognito.IUserPool[], options: CognitoAuthorizationOptions = {}): CallerAuthorization {
    return new CallerAuthorization(CallerAuthorizationMode.COGNITO, userPools, undefined, options);
  }

  /**
   * No authentication at all: anyone who knows the URL can place calls.
   * Only for APIs protected by other means (a private endpoint, a resource
   * policy); cdk-nag and cfn-guard findings about it are left for you to decide.
   */
  public static none(): CallerAuthorization {
    return new CallerAuthorization(CallerAuthorizationMode.NONE);
  }

  private constructor(
    /** The authorization mode. */
    public readonly mode: CallerAuthorizationMode,
    /** The user pools, for `COGNITO`. */
    public readonly userPools?: cognito.IUserPool[],
    /** The API key options, for `API_KEY`. */
    public readonly apiKeyOptions?: ApiKeyAuthorizationOptions,
    /** The Cognito options, for `COGNITO`. */
    public readonly cognitoOptions?: CognitoAuthorizationOptions,
  ) {}
}
