/**
 * The example app the sandbox synthesizes: one stack with `OutboundCaller`
 * and its defaults (IAM auth unless `--auth` names another mode, a new REST
 * API, a new ledger table), with
 * fixed example ids. Synthesized in-process; the handler asset is the
 * pre-built bundle from assets/, so neither esbuild nor Docker runs here.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type { SandboxAuth } from './local-credentials';
import { CallerAuthorization, OutboundCaller } from '../../src';
import { ACCOUNT, CONTACT_FLOW_ID, INSTANCE_ID, REGION, SOURCE_PHONE_NUMBER } from '../support/ids';

/** Fixed example ids, shaped like the real ones. */
export const EXAMPLE = {
  stackName: 'OutboundCallerSandbox',
  account: ACCOUNT,
  region: REGION,
  instanceId: INSTANCE_ID,
  contactFlowId: CONTACT_FLOW_ID,
  sourcePhoneNumber: SOURCE_PHONE_NUMBER,
} as const;

/** A CloudFormation template, as far as the sandbox reads it. */
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
}

export interface SynthResult {
  readonly template: CfnTemplate;
  readonly stackName: string;
  /**
   * Logical id of each AWS::Lambda::Function → SHA-256 of the `index.js` the
   * cloud assembly stages for it (what `cdk deploy` would upload), to find the
   * shipped bundle in assets/ it came from.
   */
  readonly functionCode: Record<string, string>;
  /** The construct's OpenAPI document (OutboundCaller.openApiDocument()), tokens resolved to intrinsics. */
  readonly openApi: Record<string, unknown>;
}

/** Builds the example stack in `app`. */
export function exampleStack(app: App, auth: SandboxAuth = 'iam', options: ExampleOptions = {}): Stack {
  return exampleStackWithCaller(app, auth, options).stack;
}

/** What the example turns on besides the defaults. */
export interface ExampleOptions {
  /** Batch calls (`batchCalls` with its defaults): the sandbox's `--batch-calls`. */
  readonly batchCalls?: boolean;
}

function exampleStackWithCaller(app: App, auth: SandboxAuth, options: ExampleOptions = {}): { stack: Stack; caller: OutboundCaller } {
  const stack = new Stack(app, EXAMPLE.stackName, {
    env: { account: EXAMPLE.account, region: EXAMPLE.region },
  });
  const authorization = auth === 'api-key' ? CallerAuthorization.apiKey()
    : auth === 'cognito' ? CallerAuthorization.cognito([new cognito.UserPool(stack, 'Callers')])
      : CallerAuthorization.iam();
  const caller = new OutboundCaller(stack, 'Caller', {
    instanceId: EXAMPLE.instanceId,
    contactFlowId: EXAMPLE.contactFlowId,
    sourcePhoneNumber: EXAMPLE.sourcePhoneNumber,
    authorization,
    ...(options.batchCalls ? { batchCalls: {} } : {}),
  });
  return { stack, caller };
}

/**
 * Synthesizes the example app into a temporary cloud assembly, returns the
 * stack's template and removes the assembly again.
 */
export function synthExampleTemplate(auth: SandboxAuth = 'iam', options: ExampleOptions = {}): SynthResult {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbound-caller-sandbox-'));
  try {
    const app = new App({ outdir });
    const { stack, caller } = exampleStackWithCaller(app, auth, options);
    const openApi = stack.resolve(caller.openApiDocument()) as Record<string, unknown>;
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template as CfnTemplate;
    return { template, stackName: stack.stackName, functionCode: stagedFunctionCode(outdir, template), openApi };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** Maps each function's S3 asset (Code.S3Key) to its staged directory and hashes the index.js in it. */
function stagedFunctionCode(outdir: string, template: CfnTemplate): Record<string, string> {
  const dirByObjectKey = new Map<string, string>();
  for (const file of fs.readdirSync(outdir).filter((f) => f.endsWith('.assets.json'))) {
    const manifest = JSON.parse(fs.readFileSync(path.join(outdir, file), 'utf8')) as {
      files?: Record<string, { source?: { path?: string }; destinations?: Record<string, { objectKey?: string }> }>;
    };
    for (const asset of Object.values(manifest.files ?? {})) {
      for (const destination of Object.values(asset.destinations ?? {})) {
        if (asset.source?.path && destination.objectKey) dirByObjectKey.set(destination.objectKey, asset.source.path);
      }
    }
  }
  const out: Record<string, string> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    const key = resource.Type === 'AWS::Lambda::Function' ? resource.Properties?.Code?.S3Key : undefined;
    const dir = typeof key === 'string' ? dirByObjectKey.get(key) : undefined;
    const file = dir ? path.join(outdir, dir, 'index.js') : undefined;
    if (file && fs.existsSync(file)) out[id] = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  }
  return out;
}
