/**
 * `npx projen sandbox`: the whole OutboundCaller API on 127.0.0.1, no AWS account.
 *
 * 1. Synthesizes the example stack (test/local/example-app.ts) in-process and
 *    prints what the construct creates, read from the template.
 * 2. Starts the real DynamoDB Local (in memory, or `--data-dir`) and creates the
 *    ledger table from the template's key schema and TTL.
 * 3. Starts the Connect simulator (quota 2/s burst 5, ClientToken memory).
 * 4. Loads the handler bundle as shipped (assets/…/index.js) in-process, with
 *    the template's Environment.Variables (intrinsics resolved locally) and the
 *    endpoints of the two stand-ins.
 * 5. Serves the API through the local API Gateway front (test/local/api-front.ts),
 *    which applies the template's throttle, model and gateway responses.
 *
 * Sandbox-only endpoints on the front (never part of the API): GET /_sandbox/info,
 * and /_sandbox/connect/<op> → the simulator's /_sim/<op> control API.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import {
  ApiFront, CALLER_HEADER, frontConfigFromTemplate, NO_CALLER, SANDBOX_ACCOUNT,
  type FrontConfig, type LocalFunction,
} from './api-front';
import { CONNECT_ERRORS, ConnectSimulator, DEFAULT_QUOTA, type SimContactEvent } from './connect-simulator';
import { createLocalDynamoDbClient, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local';
import { ELASTICMQ_VERSION, localSqsClient, startElasticMq, type ElasticMq } from './elasticmq';
import type { CfnResource, CfnTemplate } from './example-app';
import { localAuthentication, SANDBOX_AUTH_MODES, type FrontAuthentication, type SandboxAuth } from './local-credentials';
import { HANDLER_BUNDLE, type ProxyHandler } from './proxy-event';
import { SqsEventSource, type SqsHandler } from './sqs-event-source';
import { ROUTES } from '../../src/private/contract';

const DEFAULT_PORT = 8787;
/** --raise-limits: requests per second (and burst) of the route throttles and the Connect quota. */
const RAISED_LIMIT = 1000;
const EXAMPLE_DESTINATION = '+12125550123';
const EXAMPLE_KEY = 'sandbox-demo-1';

const HELP = `Usage: npx projen sandbox [options]

Runs the OutboundCaller API on http://127.0.0.1:<port>/contact/outbound-voice with no AWS
account: the example stack is synthesized, the shipped handler bundle runs in-process against
the real DynamoDB Local and a Connect simulator, behind a local API Gateway front.

Options:
  --port <n>        port of the API on 127.0.0.1 (default ${DEFAULT_PORT}; 0 picks a free one)
  --data-dir <dir>  keep the ledger (DynamoDB Local files) in <dir> across restarts
                    (default: in memory, gone when the sandbox stops)
  --caller-header   also accept "${CALLER_HEADER}: <name>" instead of a signature, for quick
                    curl tries: call as IAM user arn:aws:iam::${SANDBOX_ACCOUNT}:user/<name> (a full
                    IAM/STS ARN also works; "${NO_CALLER}" sends no credentials). Off by default:
                    every request must be signed (SigV4, service execute-api, the stack's
                    region) with one of the two local key pairs printed at start.
  --auth <mode>     the example's CallerAuthorization: iam (default; SigV4 with the local key
                    pairs), api-key (x-api-key with a local key, as the usage plan checks it)
                    or cognito (Authorization: an ID token of the local user pool)
  --batch-calls     the example with batchCalls (bulk and scheduled calls): its dispatch queue on
                    ElasticMQ (from Maven Central, fetched once into .tools/), its dispatcher
                    polled like Lambda's SQS event source
  --raise-limits    raise the route throttles and the Connect quota to ${RAISED_LIMIT}/s, burst ${RAISED_LIMIT}
                    (for load and fuzz tests that must reach the handler; the defaults are the
                    construct's 2/s, burst 5, and Connect's quota)
  --quiet, -q       print only the URL line (no summary, no request or handler logs)
  --help, -h        this help

Sandbox endpoints (local only, not part of the API):
  GET  /_sandbox/info                 endpoints, table name, pids (JSON)
  POST /_sandbox/connect/fail-next    {"error": "<Connect exception>", "count"?: n}
  POST /_sandbox/connect/delay-next   {"ms": n, "count"?: n}
  POST /_sandbox/connect/drop-next    {"when"?: "before-body"|"after-body"|"after-processing"}
  POST /_sandbox/connect/reset        forget contacts, tokens and faults; refill the quota
  GET  /_sandbox/connect/requests | contacts | faults

Ctrl-C stops everything (the front, the simulator, the DynamoDB Local JVM).`;

interface Args {
  readonly port: number;
  readonly dataDir?: string;
  readonly quiet: boolean;
  readonly help: boolean;
  readonly callerHeader: boolean;
  readonly raiseLimits: boolean;
  readonly auth: SandboxAuth;
  /** The example with `batchCalls`: its queues on ElasticMQ, its dispatcher polled like Lambda's SQS event source. */
  readonly batchCalls: boolean;
}

class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): Args {
  let port = DEFAULT_PORT;
  let dataDir: string | undefined;
  let quiet = false;
  let help = false;
  let callerHeader = false;
  let raiseLimits = false;
  let batchCalls = false;
  let auth: SandboxAuth = 'iam';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--port': {
        const text = value();
        port = Number(text);
        if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`--port must be a port number from 0 to 65535, got "${text}"`);
        break;
      }
      case '--data-dir':
        dataDir = path.resolve(value());
        break;
      case '--quiet':
      case '-q':
        quiet = true;
        break;
      case '--help':
      case '-h':
        help = true;
        break;
      case '--caller-header':
        callerHeader = true;
        break;
      case '--batch-calls':
        batchCalls = true;
        break;
      case '--raise-limits':
        raiseLimits = true;
        break;
      case '--auth': {
        const mode = value();
        if (!(SANDBOX_AUTH_MODES as readonly string[]).includes(mode)) {
          throw new UsageError(`--auth must be one of ${SANDBOX_AUTH_MODES.join(', ')}, got "${mode}"`);
        }
        auth = mode as SandboxAuth;
        break;
      }
      default:
        throw new UsageError(`unknown option "${arg}"`);
    }
  }
  return { port, dataDir, quiet, help, callerHeader, raiseLimits, auth, batchCalls };
}

// --------------------------------------------------------------------- output

/** Our own lines go straight to stdout; the handler's go through `process.stdout.write`, which --quiet mutes. */
const writeOut = process.stdout.write.bind(process.stdout);
const say = (text = ''): void => {
  writeOut(text + '\n');
};
const warn = (text: string): void => {
  process.stderr.write(`sandbox: ${text}\n`);
};

// --------------------------------------------------------------------- template reading

type Resources = CfnTemplate['Resources'];

function ofType(resources: Resources, type: string): Array<[string, CfnResource]> {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}

/** The bundle in assets/lambda/ whose index.js is byte-identical to what the template deploys for a function. */
function shippedBundle(sha256: string | undefined): string | undefined {
  const root = path.dirname(path.dirname(HANDLER_BUNDLE)); // assets/lambda
  if (!sha256 || !fs.existsSync(root)) return undefined;
  for (const dir of fs.readdirSync(root)) {
    const file = path.join(root, dir, 'index.js');
    if (fs.existsSync(file) && createHash('sha256').update(fs.readFileSync(file)).digest('hex') === sha256) return file;
  }
  return undefined;
}

const SHORT_TYPE: Record<string, string> = {
  'AWS::DynamoDB::Table': 'table',
  'AWS::Logs::LogGroup': 'log group',
  'AWS::Lambda::Function': 'function',
  'AWS::IAM::Role': 'role',
  'AWS::KMS::Key': 'KMS key',
};

/** Renders an intrinsic for people: `${AWS::Region}`, `table CallerLedger…`. */
function render(value: unknown, resources: Resources): string {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.map((v) => render(v, resources)).join(', ');
  const v = value as Record<string, any>;
  if (typeof v?.Ref === 'string') {
    const r = resources[v.Ref];
    return r ? `${SHORT_TYPE[r.Type] ?? r.Type} ${v.Ref}` : `\${${v.Ref}}`;
  }
  if (Array.isArray(v?.['Fn::GetAtt'])) {
    const [id, attr] = v['Fn::GetAtt'] as [string, string];
    const r = resources[id];
    return r && attr === 'Arn' ? `${SHORT_TYPE[r.Type] ?? r.Type} ${id}` : `\${${id}.${attr}}`;
  }
  if (Array.isArray(v?.['Fn::Join'])) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => (typeof p === 'object' && p !== null && 'Ref' in p && String((p as { Ref: string }).Ref).startsWith('AWS::')
      ? `\${${(p as { Ref: string }).Ref}}` : render(p, resources))).join(sep);
  }
  return JSON.stringify(value);
}

interface LocalNames {
  readonly stackName: string;
  readonly region: string;
  readonly account: string;
  /** ElasticMQ's endpoint, when the template has SQS queues. */
  readonly sqsEndpoint?: string;
}

/** ElasticMQ's queue URLs: its endpoint, its fixed account id, the queue's name. */
const ELASTICMQ_ACCOUNT = '000000000000';

/** The physical name CloudFormation would give a resource without an explicit name (minus the random suffix). */
function physicalName(logicalId: string, resource: CfnResource, names: LocalNames): string {
  const explicit = resource.Properties?.TableName ?? resource.Properties?.FunctionName ?? resource.Properties?.QueueName;
  return typeof explicit === 'string' ? explicit : `${names.stackName}-${logicalId}`;
}

/** Resolves the intrinsics that appear in a function's Environment.Variables, the way CloudFormation would here. */
export function resolveIntrinsic(value: unknown, resources: Resources, names: LocalNames, where: string): string {
  const fail = (): never => {
    throw new Error(`sandbox: cannot resolve ${JSON.stringify(value)} in ${where}`);
  };
  const pseudo: Record<string, string> = {
    'AWS::Region': names.region,
    'AWS::AccountId': names.account,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': names.stackName,
  };
  const arnOf = (id: string, r: CfnResource): string => {
    switch (r.Type) {
      case 'AWS::DynamoDB::Table': return `arn:aws:dynamodb:${names.region}:${names.account}:table/${physicalName(id, r, names)}`;
      case 'AWS::Lambda::Function': return `arn:aws:lambda:${names.region}:${names.account}:function:${physicalName(id, r, names)}`;
      case 'AWS::SQS::Queue': return `arn:aws:sqs:${names.region}:${names.account}:${physicalName(id, r, names)}`;
      default: return fail();
    }
  };
  const attribute = (id: string, attr: string): string => {
    const r = resources[id];
    if (!r) return fail();
    if (attr === 'Arn') return arnOf(id, r);
    return fail();
  };
  const ref = (name: string): string => {
    if (name in pseudo) return pseudo[name];
    const r = resources[name];
    if (r?.Type === 'AWS::SQS::Queue') return names.sqsEndpoint ? `${names.sqsEndpoint}/${ELASTICMQ_ACCOUNT}/${physicalName(name, r, names)}` : fail();
    return r ? physicalName(name, r, names) : fail();
  };

  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || typeof value !== 'object') return fail();
  const v = value as Record<string, any>;
  const keys = Object.keys(v);
  if (keys.length !== 1) return fail();
  const [fn] = keys;
  const arg = v[fn];
  switch (fn) {
    case 'Ref':
      return ref(String(arg));
    case 'Fn::GetAtt': {
      const [id, attr] = Array.isArray(arg) ? arg : String(arg).split('.');
      return attribute(String(id), String(attr));
    }
    case 'Fn::Join':
      return (arg[1] as unknown[]).map((p) => resolveIntrinsic(p, resources, names, where)).join(String(arg[0]));
    case 'Fn::Select':
      return resolveIntrinsic((arg[1] as unknown[])[Number(arg[0])], resources, names, where);
    case 'Fn::Sub': {
      const [text, vars] = Array.isArray(arg) ? [String(arg[0]), arg[1] as Record<string, unknown>] : [String(arg), {}];
      return text.replace(/\$\{([^}!]+)\}/g, (_m, name: string) => {
        if (vars && name in vars) return resolveIntrinsic(vars[name], resources, names, where);
        const dot = name.indexOf('.');
        return dot > 0 ? attribute(name.slice(0, dot), name.slice(dot + 1)) : ref(name);
      });
    }
    default:
      return fail();
  }
}

interface Summary {
  readonly lines: string[];
}

function summarize(template: CfnTemplate, config: FrontConfig, fnId: string): Summary {
  const resources = template.Resources;
  const lines: string[] = [];
  const row = (label: string, text: string): number => lines.push(`  ${label.padEnd(11)}${text}`);
  const more = (text: string): number => lines.push(`  ${''.padEnd(11)}${text}`);

  const api = resources[config.restApiLogicalId].Properties ?? {};
  const endpointTypes = (api.EndpointConfiguration?.Types ?? ['EDGE']).join(', ');
  for (const route of config.routes) {
    row('Route', `${route.method} ${route.path}  (${endpointTypes} REST API, stage ${config.stageName}) → ${route.functionLogicalId}`);
    const auth = route.authorizationType === 'AWS_IAM' ? 'AWS_IAM (SigV4)' : route.authorizationType;
    const throttle = route.throttle ? `throttle rate ${route.throttle.rateLimit}/s, burst ${route.throttle.burstLimit}` : 'no stage throttle';
    const checks: string[] = [];
    const models = Object.entries(route.models).map(([type, schema]) =>
      `${String(schema.title ?? 'model')} (${type}${schema.additionalProperties === false ? ', additionalProperties: false' : ''})`);
    if (route.validateBody && models.length > 0) checks.push(`body checked against model ${models.join(', ')}`);
    const required = Object.entries(route.requestParameters).filter(([, r]) => r).map(([n]) => n.replace(/^method\.request\./, ''));
    if (route.validateParameters && required.length > 0) checks.push(`required ${required.join(', ')}`);
    more(`${auth}${route.apiKeyRequired ? ' + API key' : ''} · ${throttle}${checks.length ? ' · ' + checks.join(' · ') : ''}`);
  }
  const responseTypes = Object.keys(config.gatewayResponses);
  row('Errors', `${responseTypes.length} gateway responses in the error envelope (${responseTypes.slice(0, 4).join(', ')}, …)`);

  for (const [tableId, table] of ofType(resources, 'AWS::DynamoDB::Table')) {
    const t = table.Properties ?? {};
    const types = new Map<string, string>((t.AttributeDefinitions ?? []).map((a: any) => [a.AttributeName, a.AttributeType]));
    const keys = (t.KeySchema ?? []).map((k: any) => `${k.AttributeName} (${types.get(k.AttributeName)}, ${k.KeyType})`).join(' + ');
    const ttl = t.TimeToLiveSpecification?.Enabled ? `TTL on ${t.TimeToLiveSpecification.AttributeName}` : 'no TTL';
    const pitr = t.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled ? 'PITR on' : 'PITR off';
    const sse = t.SSESpecification?.SSEEnabled
      ? `SSE on (${t.SSESpecification.KMSMasterKeyId ? 'customer managed KMS key' : 'AWS managed key'})`
      : 'SSE: DynamoDB default (AWS owned key)';
    row('Table', `${tableId}: ${keys} · ${t.BillingMode ?? 'PROVISIONED'} · ${ttl} · ${pitr} · ${sse}`);
  }

  const f = resources[fnId].Properties ?? {};
  const roleLogicalId = String(Array.isArray(f.Role?.['Fn::GetAtt']) ? f.Role['Fn::GetAtt'][0] : f.Role?.Ref);
  const statements: Array<Record<string, unknown>> = [];
  for (const [, r] of Object.entries(resources)) {
    if (r.Type === 'AWS::IAM::Policy' && (r.Properties?.Roles ?? []).some((x: any) => x?.Ref === roleLogicalId)) {
      statements.push(...(r.Properties?.PolicyDocument?.Statement ?? []));
    }
  }
  for (const p of resources[roleLogicalId]?.Properties?.Policies ?? []) statements.push(...(p.PolicyDocument?.Statement ?? []));
  let first = true;
  for (const s of statements) {
    const actions = ([] as string[]).concat(s.Action as string | string[]);
    const text = `${s.Effect} ${actions.join(', ')} on ${render(s.Resource, resources)}`;
    if (first) row('IAM', text);
    else more(text);
    first = false;
  }
  const managed = resources[roleLogicalId]?.Properties?.ManagedPolicyArns ?? [];
  if (managed.length > 0) more(`managed policies: ${render(managed, resources)}`);

  const extras = [
    f.TracingConfig?.Mode ? `tracing ${f.TracingConfig.Mode}` : undefined,
    f.LoggingConfig?.LogFormat ? `${f.LoggingConfig.LogFormat} logs` : undefined,
    f.ReservedConcurrentExecutions !== undefined ? `reserved concurrency ${f.ReservedConcurrentExecutions}` : undefined,
  ].filter(Boolean).join(' · ');
  row('Lambda', `${fnId}: ${f.Runtime} · ${(f.Architectures ?? ['x86_64']).join(', ')} · ${f.MemorySize ?? 128} MB · `
    + `${f.Timeout ?? 3} s timeout${extras ? ' · ' + extras : ''}`);
  for (const [otherId, other] of ofType(resources, 'AWS::Lambda::Function').filter(([id]) => id !== fnId)) {
    const isRuleTarget = ofType(resources, 'AWS::Events::Rule').some(([, rule]) =>
      JSON.stringify(rule.Properties?.Targets ?? []).includes(`"${otherId}"`));
    const isQueueTarget = ofType(resources, 'AWS::Lambda::EventSourceMapping').some(([, mapping]) =>
      mapping.Properties?.FunctionName?.Ref === otherId);
    more(`also ${otherId} (${other.Properties?.Runtime}): ${isRuleTarget
      ? 'the target of the contact-events rule; the sandbox runs it on the simulator\'s events'
      : isQueueTarget ? 'triggered by its SQS queue; the sandbox polls the queue and runs it, as Lambda would'
        : 'not behind the API, not run by the sandbox'}`);
  }
  return { lines };
}

// --------------------------------------------------------------------- DynamoDB

/** Creates the template's table in DynamoDB Local (kept if it exists, with --data-dir); returns its name. */
async function createTableFromTemplate(endpoint: string, logicalId: string, table: CfnResource, names: LocalNames): Promise<boolean> {
  const p = table.Properties ?? {};
  const tableName = physicalName(logicalId, table, names);
  const client = createLocalDynamoDbClient(endpoint);
  try {
    const input: CreateTableCommandInput = {
      TableName: tableName,
      KeySchema: p.KeySchema,
      AttributeDefinitions: p.AttributeDefinitions,
      BillingMode: p.BillingMode ?? 'PROVISIONED',
      ...(p.BillingMode === 'PAY_PER_REQUEST' ? {} : { ProvisionedThroughput: p.ProvisionedThroughput }),
      ...(p.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes } : {}),
      ...(p.LocalSecondaryIndexes ? { LocalSecondaryIndexes: p.LocalSecondaryIndexes } : {}),
    };
    let created = true;
    try {
      await client.send(new CreateTableCommand(input));
    } catch (err) {
      if (!(err instanceof ResourceInUseException)) throw err;
      created = false; // kept from an earlier run (--data-dir)
    }
    await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: tableName });
    const ttl = p.TimeToLiveSpecification;
    if (ttl?.Enabled) {
      const current = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
      if (current.TimeToLiveDescription?.TimeToLiveStatus !== 'ENABLED') {
        await client.send(new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
        }));
      }
    }
    return created;
  } finally {
    client.destroy();
  }
}

// --------------------------------------------------------------------- timing

/**
 * When the command the user typed started: the oldest ancestor whose command
 * line mentions projen (`npx projen sandbox`), from /proc; else this process.
 */
function commandStartedAt(): { at: number; what: string } {
  const fallback = { at: Date.now() - process.uptime() * 1000, what: 'this process' };
  try {
    // Start times in /proc/<pid>/stat are clock ticks since boot; /proc/uptime is seconds since boot.
    const uptimeMs = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
    const now = Date.now();
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    let best: { at: number; what: string } | undefined;
    let pid = process.pid;
    for (let depth = 0; depth < 8 && pid > 1; depth++) {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (pid === process.pid || /projen/.test(cmdline)) {
        best = { at: now - (uptimeMs - (Number(fields[19]) / ticks) * 1000), what: pid === process.pid ? 'this process' : '`npx projen sandbox`' };
      }
      pid = Number(fields[1]);
    }
    return best ?? fallback;
  } catch {
    return fallback;
  }
}

// --------------------------------------------------------------------- lifecycle

/** Everything we start, stopped in reverse order on exit. */
const closers: Array<{ name: string; close: () => Promise<unknown> }> = [];
let shuttingDown: Promise<void> | undefined;
let quiet = false;

function shutdown(reason: string): Promise<void> {
  shuttingDown ??= (async () => {
    if (!quiet) say(`\n${reason}: stopping…`);
    const names = closers.map((closer) => closer.name);
    for (const closer of closers.reverse()) {
      try {
        await closer.close();
      } catch (err) {
        warn(`stopping ${closer.name} failed: ${String(err)}`);
      }
    }
    if (!quiet) say(`Stopped: API front, Connect simulator, DynamoDB Local${names.includes('ElasticMQ') ? ', ElasticMQ' : ''}.`);
  })();
  return shuttingDown;
}

// --------------------------------------------------------------------- main

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    warn(`${err.message} (see: npx projen sandbox --help)`);
    return 2;
  }
  if (args.help) {
    say(HELP);
    return 0;
  }
  const startedAt = commandStartedAt();
  const processStart = Date.now() - process.uptime() * 1000;
  const info = !args.quiet ? say : (): void => undefined;
  // The SDK warns about Node 20 on every client; the bundle runs on Node 24 in Lambda.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

  quiet = args.quiet;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (shuttingDown) return; // a second Ctrl-C while stopping: keep stopping
      void shutdown(signal === 'SIGINT' ? 'Ctrl-C' : signal).then(() => process.exit(0));
    });
  }

  // 1. The front first: a port in use fails before anything else starts.
  let sandboxState: { info: () => Record<string, unknown>; sim?: ConnectSimulator } = { info: () => ({ starting: true }) };
  const front = new ApiFront({
    localRoutes: (req, res, pathname, body) => sandboxRoute(req, res, pathname, body, sandboxState),
    onAccessLog: args.quiet ? undefined : (e) => say(
      `[api] ${e.method} ${e.path} → ${e.status}${e.errorResponseType ? ` (gateway: ${e.errorResponseType})` : ''} `
      + `${e.latencyMs} ms  caller=${e.caller ?? '-'}  x-request-id=${e.requestId}`),
  });
  try {
    await front.listen(args.port);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      warn(`port ${args.port} on 127.0.0.1 is already in use (another sandbox still running?). `
        + `Stop whatever listens there, or pick another port: npx projen sandbox --port ${args.port + 1}`);
    } else {
      warn(e.message);
    }
    return 1;
  }
  closers.push({ name: 'the API front', close: () => front.stop() });

  // 2. DynamoDB Local (a JVM: the slowest part) starts while we synthesize.
  const ddbStarting = startDynamoDbLocal({ port: 0, dataDir: args.dataDir });
  closers.push({ name: 'DynamoDB Local', close: () => ddbStarting.then((d) => d.stop(), () => undefined) });
  ddbStarting.catch(() => undefined); // reported where it is awaited

  // 3. Synthesize the example stack in-process (loaded now, so the JVM starts first).
  const synthStart = Date.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exampleApp = require('./example-app') as typeof import('./example-app');
  const { template, stackName, functionCode, openApi } = exampleApp.synthExampleTemplate(args.auth, { batchCalls: args.batchCalls });
  const synthMs = Date.now() - synthStart;
  if (shuttingDown) return -1; // Ctrl-C while starting: shutdown() stops what has started
  const templateConfig = frontConfigFromTemplate(template);
  const config: FrontConfig = args.raiseLimits
    ? {
      ...templateConfig,
      routes: templateConfig.routes.map((r) => ({
        ...r,
        throttle: r.throttle && { rateLimit: RAISED_LIMIT, burstLimit: RAISED_LIMIT, source: '--raise-limits' },
      })),
    }
    : templateConfig;
  const quota = args.raiseLimits ? { ratePerSecond: RAISED_LIMIT, burst: RAISED_LIMIT } : DEFAULT_QUOTA;
  // Each route runs the function its integration names (with batch calls, the batch routes have their own):
  // the PUT route's is "the handler" below, the others are loaded the same way in step 7.
  const fnIds = [...new Set(config.routes.map((r) => r.functionLogicalId))];
  const fnId = (config.routes.find((r) => r.method === 'PUT') ?? config.routes[0]).functionLogicalId;
  const bundleOf = (id: string): string => {
    const file = shippedBundle(functionCode[id]);
    if (!file) {
      throw new Error(`the code the template deploys for ${id} is none of the bundles in assets/lambda/ `
        + '(run npx projen bundle, or check the construct\'s Code.fromAsset path)');
    }
    return file;
  };
  const fn = template.Resources[fnId];
  const bundleFile = bundleOf(fnId);
  const otherFunctions = fnIds.filter((id) => id !== fnId).map((id) => ({ id, bundle: bundleOf(id) }));
  // Batch calls: the template's SQS queues on ElasticMQ (a real SQS-compatible server), on 127.0.0.1.
  let emq: ElasticMq | undefined;
  // Only for a queue that triggers a function (the contact-events rule's dead-letter queue needs no server).
  const queueTriggered = ofType(template.Resources, 'AWS::Lambda::EventSourceMapping').some(([, mapping]) =>
    template.Resources[mapping.Properties?.EventSourceArn?.['Fn::GetAtt']?.[0] as string]?.Type === 'AWS::SQS::Queue');
  if (queueTriggered) {
    try {
      emq = await startElasticMq();
    } catch (err) {
      warn(String((err as Error).message));
      await shutdown('ElasticMQ did not start');
      return 1;
    }
    const started = emq;
    closers.push({ name: 'ElasticMQ', close: () => started.stop() });
  }
  const names: LocalNames = {
    stackName, region: exampleApp.EXAMPLE.region, account: exampleApp.EXAMPLE.account, ...(emq ? { sqsEndpoint: emq.endpoint } : {}),
  };
  const summary = summarize(template, config, fnId);
  info(`OutboundCaller sandbox: synthesized stack ${stackName} in ${(synthMs / 1000).toFixed(1)} s. From its template:`);
  summary.lines.forEach((l) => info(l));
  info();

  // 4. The function's environment, from the template.
  const templateEnv: Record<string, unknown> = fn.Properties?.Environment?.Variables ?? {};
  const resolvedEnv: Record<string, string> = {};
  const resolvedNotes: string[] = [];
  for (const [name, value] of Object.entries(templateEnv)) {
    resolvedEnv[name] = resolveIntrinsic(value, template.Resources, names, `Environment.Variables.${name} of ${fnId}`);
    if (typeof value === 'object') resolvedNotes.push(`${name} = ${resolvedEnv[name]} (${JSON.stringify(value)})`);
  }

  // 5. Connect simulator: the service quota and the ClientToken memory, on a free port.
  // Contact events go to the status function once it is loaded (step 8).
  let deliverContactEvent: (event: SimContactEvent) => Promise<void> = async () => undefined;
  const sim = await ConnectSimulator.start({
    port: 0,
    quota,
    knownInstanceIds: resolvedEnv.INSTANCE_ID ? [resolvedEnv.INSTANCE_ID] : undefined,
    contactEvents: {
      deliver: (event) => deliverContactEvent(event),
      region: exampleApp.EXAMPLE.region,
      account: exampleApp.EXAMPLE.account,
    },
  });
  closers.push({ name: 'the Connect simulator', close: () => sim.stop() });
  if (shuttingDown) {
    await sim.stop();
    return -1;
  }

  // 6. DynamoDB Local ready → the ledger table from the template.
  let ddb: DynamoDbLocal;
  try {
    ddb = await ddbStarting;
  } catch (err) {
    if (shuttingDown) return -1;
    warn(String((err as Error).message));
    await shutdown('DynamoDB Local did not start');
    return 1;
  }
  // Every table of the template; the ledger is the one the function's environment names.
  const tables: Array<{ logicalId: string; tableName: string; created: boolean }> = [];
  for (const [tableId, table] of ofType(template.Resources, 'AWS::DynamoDB::Table')) {
    const created = await createTableFromTemplate(ddb.endpoint, tableId, table, names);
    tables.push({ logicalId: tableId, tableName: physicalName(tableId, table, names), created });
  }
  const ledger = tables.find((t) => Object.values(resolvedEnv).includes(t.tableName)) ?? tables[0];
  if (!ledger) throw new Error('the template has no AWS::DynamoDB::Table');
  if (shuttingDown) return -1;
  const tableName = ledger.tableName;
  const tableCreated = ledger.created;

  // 7. The handler bundle as shipped, in this process, with the environment Lambda would give it.
  const functionName = physicalName(fnId, fn, names);
  const fp = fn.Properties ?? {};
  const lambdaEnv: Record<string, string> = {
    ...resolvedEnv,
    AWS_REGION: names.region,
    AWS_DEFAULT_REGION: names.region,
    AWS_ACCESS_KEY_ID: 'SANDBOXACCESSKEY', // DynamoDB Local accepts only alphanumeric key ids
    AWS_SECRET_ACCESS_KEY: 'sandbox-secret',
    AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
    AWS_ENDPOINT_URL_CONNECT: sim.url,
    ...(emq ? { AWS_ENDPOINT_URL_SQS: emq.endpoint } : {}),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fp.MemorySize ?? 128),
    ...(fp.LoggingConfig?.LogFormat ? { AWS_LAMBDA_LOG_FORMAT: String(fp.LoggingConfig.LogFormat) } : {}),
  };
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  Object.assign(process.env, lambdaEnv);
  if (args.quiet) {
    // The handler writes its log and EMF lines with process.stdout.write: muted.
    process.stdout.write = ((_chunk: unknown, ...rest: unknown[]) => {
      (rest.find((a) => typeof a === 'function') as (() => void) | undefined)?.();
      return true;
    }) as typeof process.stdout.write;
  }
  let handler: ProxyHandler;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = (require(bundleFile) as { handler: ProxyHandler }).handler;
  } catch (err) {
    warn(`the handler bundle ${path.relative(process.cwd(), bundleFile)} failed to load: ${String((err as Error).message)}`);
    await shutdown('The handler did not load');
    return 1;
  }
  const local: LocalFunction = { handler, functionName, timeoutMs: Number(fp.Timeout ?? 3) * 1000 };
  const localFunctions = new Map([[fnId, local]]);
  // The other functions behind routes (the batch API function), each with its own environment at its cold start.
  for (const other of otherFunctions) {
    const resource = template.Resources[other.id];
    for (const [name, value] of Object.entries(resource.Properties?.Environment?.Variables ?? {})) {
      process.env[name] = resolveIntrinsic(value, template.Resources, names, `Environment.Variables.${name} of ${other.id}`);
    }
    const name = physicalName(other.id, resource, names);
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const otherHandler = (require(other.bundle) as { handler: ProxyHandler }).handler;
      localFunctions.set(other.id, { handler: otherHandler, functionName: name, timeoutMs: Number(resource.Properties?.Timeout ?? 3) * 1000 });
    } catch (err) {
      warn(`the bundle ${path.relative(process.cwd(), other.bundle)} failed to load: ${String((err as Error).message)}`);
      await shutdown(`The function ${other.id} did not load`);
      return 1;
    }
  }
  const authentication = localAuthentication(names.region, args.callerHeader);
  front.configure(config, localFunctions, authentication);
  front.serveOpenApiDocument(openApi);

  // 8. Contact events: the template's EventBridge rule (its pattern) → its target function, as shipped.
  const eventTarget = contactEventTarget(template, functionCode, names);
  if (eventTarget) deliverContactEvent = eventTarget.deliver;

  // 9. Batch calls: the queues, and each SQS event source mapping's function polled like Lambda polls it.
  const queueSources = emq ? await startQueueSources(template, functionCode, names, emq) : [];

  const route = config.routes.find((r) => r.method === 'PUT') ?? config.routes[0];
  const apiUrl = `${front.url}${route.path}`;
  const statusRoute = config.routes.find((r) => r.method === 'GET' && /\{\w+\}$/.test(r.path));
  sandboxState = {
    sim,
    info: () => ({
      url: apiUrl,
      route: `${route.method} ${route.path}`,
      routes: config.routes.map((r) => `${r.method} ${r.path}`),
      stage: config.stageName,
      stack: stackName,
      region: names.region,
      callerHeader: args.callerHeader ? CALLER_HEADER : null,
      credentials: credentialsInfo(authentication),
      sandboxPid: process.pid,
      handler: { bundle: bundleFile, functionName, environment: resolvedEnv, node: process.version },
      dynamodb: {
        endpoint: ddb.endpoint,
        pid: ddb.pid,
        region: names.region,
        tableName,
        tables: tables.map((t) => t.tableName),
        dataDir: args.dataDir ?? null,
      },
      connect: { endpoint: sim.url, control: `${sim.url}/_sim/`, quota },
      raisedLimits: args.raiseLimits,
    }),
  };

  // 8. Ready.
  const readyAt = Date.now();
  const seconds = (from: number): string => ((readyAt - from) / 1000).toFixed(1);
  if (args.quiet) {
    say(apiUrl);
    return -1;
  }
  const bundleRel = path.relative(process.cwd(), bundleFile);
  info('Running on 127.0.0.1 (nothing listens anywhere else):');
  info(`  API        ${apiUrl}`);
  info(`  Handler    ${bundleRel} (as shipped), in-process on Node ${process.version}, env from the template:`);
  resolvedNotes.forEach((n) => info(`             ${n}`));
  for (const other of otherFunctions) {
    const paths = config.routes.filter((r) => r.functionLogicalId === other.id).map((r) => `${r.method} ${r.path}`);
    info(`  Function   ${path.relative(process.cwd(), other.bundle)} (as shipped) → ${other.id}: ${paths.join(', ')}`);
  }
  info(`  DynamoDB   ${ddb.endpoint}  DynamoDB Local, table ${tableName} `
    + `(${args.dataDir ? `files in ${args.dataDir}, ${tableCreated ? 'new' : 'kept from the last run'}` : 'in memory'}; JVM pid ${ddb.pid})`);
  info(`  Connect    ${sim.url}  simulator: quota ${quota.ratePerSecond}/s burst ${quota.burst}, ClientTokens kept 7 days`);
  if (args.raiseLimits) info(`  Limits     --raise-limits: route throttles and the Connect quota ${RAISED_LIMIT}/s, burst ${RAISED_LIMIT}`);
  if (eventTarget) {
    info(`  Events     the simulator's contact events → rule ${eventTarget.ruleId} (its pattern) → ${eventTarget.functionId}, as shipped`);
    info('             each call: INITIATED at 0.1 s, CONNECTED_TO_SYSTEM at 1.5 s, DISCONNECTED at 4 s');
  }
  for (const source of queueSources) {
    info(`  Queue      ${source.queueUrl}  ElasticMQ ${ELASTICMQ_VERSION} (visibility ${source.visibilityTimeoutSeconds} s, `
      + `dead-letter queue after ${source.maxReceiveCount} receives; JVM pid ${emq!.pid})`);
    info(`             → ${source.functionId}, as shipped: polled like Lambda's SQS event source (batch ${source.batchSize}, `
      + `${source.concurrency} at once, ReportBatchItemFailures)`);
  }
  info(`  Info       ${front.url}/_sandbox/info`);
  info();
  const body = JSON.stringify({ DestinationPhoneNumber: EXAMPLE_DESTINATION });
  const [first, second] = authentication.accessKeys;
  const [firstKey, secondKey] = authentication.apiKeys;
  const tokens = { sandbox: authentication.userPool.issueIdToken('sandbox'), alice: authentication.userPool.issueIdToken('alice') };
  // How a request proves who it is in this mode, as curl arguments.
  const sign = (key: typeof first): string => args.auth === 'api-key' ? `-H 'x-api-key: ${firstKey.value}'`
    : args.auth === 'cognito' ? `-H 'Authorization: ${tokens.sandbox}'`
      : `--aws-sigv4 'aws:amz:${names.region}:execute-api' --user '${key.accessKeyId}:${key.secretAccessKey}'`;
  if (args.auth === 'api-key') {
    info('Credentials (--auth api-key: every request needs x-api-key with one of these keys, as the usage plan checks it):');
    for (const key of authentication.apiKeys) info(`  api key id ${key.id}   x-api-key: ${key.value}`);
  } else if (args.auth === 'cognito') {
    info(`Credentials (--auth cognito: Authorization carries an ID token of the local user pool ${authentication.userPool.poolId}, valid 1 hour;`);
    info('  new ones at GET /_sandbox/info):');
    for (const [user, token] of Object.entries(tokens)) info(`  ${user.padEnd(8)} ${token}`);
  } else {
    info(`Credentials (SigV4, service execute-api, region ${names.region}; every request must be signed, as in AWS):`);
    for (const key of authentication.accessKeys) {
      info(`  ${key.arn.padEnd(40)} AWS_ACCESS_KEY_ID=${key.accessKeyId} AWS_SECRET_ACCESS_KEY=${key.secretAccessKey}`);
    }
  }
  info(args.callerHeader
    ? `  --caller-header is on: a request with '${CALLER_HEADER}: <name>' needs no signature (user/<name>; '${NO_CALLER}' → 403)`
    : `  (${{ 'iam': 'unsigned → 403', 'api-key': 'without x-api-key → 403', 'cognito': 'without a token → 401' }[args.auth]} `
      + 'FORBIDDEN, as the deployed API answers; '
      + `--caller-header also accepts '${CALLER_HEADER}: <name>')`);
  info(`  OpenAPI 3.1 document of this API: ${front.url}/openapi.json`);
  info();
  info(args.auth === 'iam' ? 'Place a call (curl signs it: --aws-sigv4):' : 'Place a call:');
  info(`  curl -i -X PUT ${apiUrl} ${sign(first)} -H 'Content-Type: application/json' -H 'Idempotency-Key: ${EXAMPLE_KEY}' -d '${body}'`);
  info('Replay it: run the same command again → 200, the same body byte for byte, Idempotent-Replayed: true.');
  if (statusRoute) {
    info(`Look the call up: curl -i ${sign(first)} ${front.url}${statusRoute.path.replace(/\{\w+\}$/, '<id from the answer>')}`);
  }
  info(args.auth === 'api-key' ? `Call as another caller (keys are scoped per caller): x-api-key: ${secondKey.value} (${secondKey.id})`
    : args.auth === 'cognito' ? 'Call as another caller (keys are scoped per caller): alice\'s ID token above'
      : `Call as another caller (keys are scoped per caller): sign with ${second.accessKeyId} (${second.arn})`);
  const batchRoute = config.routes.find((r) => r.method === 'POST' && r.path === ROUTES.batches);
  if (batchRoute && queueSources.length > 0) {
    const batchBody = JSON.stringify({
      Calls: [
        { DestinationPhoneNumber: '+12125550101', ClientToken: 'reminder-1' },
        { DestinationPhoneNumber: '+12125550102', ClientToken: 'reminder-2' },
      ],
    });
    info('Submit a batch, then watch it (GET) or cancel what is not dialled yet (DELETE):');
    info(`  curl -i -X POST ${front.url}${ROUTES.batches} ${sign(first)} -H 'Content-Type: application/json' -d '${batchBody}'`);
    info(`  curl -s ${sign(first)} ${front.url}${ROUTES.batches}/<id from the answer>`);
  }
  info('Make Connect fail the next call, then place a call with a new Idempotency-Key:');
  info(`  curl -X POST ${front.url}/_sandbox/connect/fail-next -d '{"error":"ResourceNotFoundException"}'`);
  info(`  (any of ${Object.keys(CONNECT_ERRORS).join(', ')})`);
  info();
  info(`Ready in ${seconds(startedAt.at)} s${startedAt.what === 'this process' ? '' : ` since ${startedAt.what} started`}`
    + ` (${seconds(processStart)} s in the sandbox process). Ctrl-C to stop.`);
  return -1; // keep running
}

interface QueueSource {
  readonly queueUrl: string;
  readonly functionId: string;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  readonly batchSize: number;
  readonly concurrency: number;
}

/**
 * Creates the template's SQS queues on ElasticMQ (visibility timeout and
 * redrive policy from the template) and starts, for each SQS event source
 * mapping, the local event source with the target function's shipped bundle,
 * in this process, with its environment from the template.
 */
async function startQueueSources(
  template: CfnTemplate, functionCode: Record<string, string>, names: LocalNames, emq: ElasticMq,
): Promise<QueueSource[]> {
  const client = localSqsClient(emq.endpoint);
  closers.push({ name: 'the SQS client', close: async () => client.destroy() });
  const arns = new Map<string, string>();
  const queues = ofType(template.Resources, 'AWS::SQS::Queue');
  // Dead-letter queues first: a queue's redrive policy names its dead-letter queue's ARN.
  queues.sort(([, a]) => (a.Properties?.RedrivePolicy ? 1 : -1));
  for (const [id, queue] of queues) {
    const redrive = queue.Properties?.RedrivePolicy as { deadLetterTargetArn?: { 'Fn::GetAtt'?: [string, string] }; maxReceiveCount?: number } | undefined;
    const target = redrive?.deadLetterTargetArn?.['Fn::GetAtt']?.[0];
    const created = await client.send(new CreateQueueCommand({
      QueueName: physicalName(id, queue, names),
      Attributes: {
        ...(queue.Properties?.VisibilityTimeout !== undefined ? { VisibilityTimeout: String(queue.Properties.VisibilityTimeout) } : {}),
        ...(redrive && target
          ? { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arns.get(target), maxReceiveCount: redrive.maxReceiveCount }) }
          : {}),
      },
    }));
    const attributes = await client.send(new GetQueueAttributesCommand({ QueueUrl: created.QueueUrl!, AttributeNames: ['QueueArn'] }));
    arns.set(id, attributes.Attributes!.QueueArn!);
  }
  const sources: QueueSource[] = [];
  for (const [, mapping] of ofType(template.Resources, 'AWS::Lambda::EventSourceMapping')) {
    const queueId = mapping.Properties?.EventSourceArn?.['Fn::GetAtt']?.[0] as string | undefined;
    const functionId = mapping.Properties?.FunctionName?.Ref as string | undefined;
    const queue = queueId ? template.Resources[queueId] : undefined;
    const fn = functionId ? template.Resources[functionId] : undefined;
    const bundleFile = functionId ? shippedBundle(functionCode[functionId]) : undefined;
    if (!queueId || !functionId || queue?.Type !== 'AWS::SQS::Queue' || !fn || !bundleFile) continue;
    for (const [name, value] of Object.entries(fn.Properties?.Environment?.Variables ?? {})) {
      process.env[name] = resolveIntrinsic(value, template.Resources, names, `Environment.Variables.${name} of ${functionId}`);
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const handler = (require(bundleFile) as { handler: SqsHandler }).handler;
    const queueUrl = resolveIntrinsic({ Ref: queueId }, template.Resources, names, `EventSourceArn of ${functionId}`);
    const batchSize = Number(mapping.Properties?.BatchSize ?? 10);
    const concurrency = Number(mapping.Properties?.ScalingConfig?.MaximumConcurrency ?? 2);
    const source = new SqsEventSource({
      client,
      queueUrl,
      queueArn: arns.get(queueId)!,
      handler,
      batchSize,
      concurrency,
      timeoutMs: Number(fn.Properties?.Timeout ?? 3) * 1000,
      onInvoke: quiet ? undefined : ({ received, failed, error }) => process.stderr.write(
        `[queue] ${functionId}: ${received} message(s), ${failed} back to the queue${error ? ` (${String((error as Error).message)})` : ''}\n`),
    }).start();
    closers.push({ name: `the event source of ${functionId}`, close: () => source.stop() });
    const redrive = queue.Properties?.RedrivePolicy as { maxReceiveCount?: number } | undefined;
    sources.push({
      queueUrl,
      functionId,
      batchSize,
      concurrency,
      visibilityTimeoutSeconds: Number(queue.Properties?.VisibilityTimeout ?? 30),
      maxReceiveCount: Number(redrive?.maxReceiveCount ?? 0),
    });
  }
  return sources;
}

/** The local credentials, for GET /_sandbox/info. */
function credentialsInfo(auth: FrontAuthentication): Record<string, unknown> {
  return {
    sigv4: { service: 'execute-api', region: auth.region, keys: auth.accessKeys },
    apiKeys: auth.apiKeys,
    cognito: {
      userPoolId: auth.userPool.poolId,
      issuer: auth.userPool.issuer,
      idTokens: { sandbox: auth.userPool.issueIdToken('sandbox'), alice: auth.userPool.issueIdToken('alice') },
    },
  };
}

// ----------------------------------------------------------------- contact events

interface EventTarget {
  readonly ruleId: string;
  readonly functionId: string;
  deliver(event: SimContactEvent): Promise<void>;
}

/**
 * EventBridge, locally: the template's rule that targets a function with
 * Connect contact events. Each simulator event is matched against the rule's
 * pattern; a match invokes the target bundle as shipped, with the environment
 * the template gives it, and is retried twice a second apart on an error (as
 * an asynchronous invocation is), then reported as dead-lettered.
 */
function contactEventTarget(
  template: CfnTemplate, functionCode: Record<string, string>, names: LocalNames,
): EventTarget | undefined {
  for (const [ruleId, rule] of ofType(template.Resources, 'AWS::Events::Rule')) {
    const pattern = rule.Properties?.EventPattern as Record<string, unknown> | undefined;
    if (!pattern || !JSON.stringify(pattern.source ?? []).includes('aws.connect')) continue;
    const arn = (rule.Properties?.Targets ?? [])[0]?.Arn as { 'Fn::GetAtt'?: [string, string] } | undefined;
    const functionId = arn?.['Fn::GetAtt']?.[0];
    const fn = functionId ? template.Resources[functionId] : undefined;
    const bundleFile = functionId ? shippedBundle(functionCode[functionId]) : undefined;
    if (!functionId || !fn || !bundleFile) continue;
    for (const [name, value] of Object.entries(fn.Properties?.Environment?.Variables ?? {})) {
      process.env[name] = resolveIntrinsic(value, template.Resources, names, `Environment.Variables.${name} of ${functionId}`);
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const handler = (require(bundleFile) as { handler: (event: unknown, context: unknown) => Promise<void> }).handler;
    const functionName = physicalName(functionId, fn, names);
    const invoke = async (event: SimContactEvent, attempt: number): Promise<void> => {
      try {
        await handler(event, { functionName, awsRequestId: randomUUID() });
        if (!quiet) process.stderr.write(`[events] ${String(event.detail.eventType)} → ${functionId}\n`);
      } catch (err) {
        if (attempt < 2) {
          setTimeout(() => void invoke(event, attempt + 1), 1000).unref();
        } else if (!quiet) {
          process.stderr.write(`[events] ${String(event.detail.eventType)} failed 3 times → dead-letter queue: ${String((err as Error).message)}\n`);
        }
      }
    };
    return {
      ruleId,
      functionId,
      deliver: async (event) => {
        if (matchesPattern(pattern, event as unknown as Record<string, unknown>)) await invoke(event, 0);
      },
    };
  }
  return undefined;
}

/** EventBridge pattern matching, for what the construct's rule uses: value lists, prefix and suffix. */
function matchesPattern(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = event[key];
    if (Array.isArray(expected)) {
      return expected.some((option) => {
        if (option !== null && typeof option === 'object') {
          const o = option as { prefix?: string; suffix?: string };
          if (typeof actual !== 'string') return false;
          if (o.prefix !== undefined) return actual.startsWith(o.prefix);
          if (o.suffix !== undefined) return actual.endsWith(o.suffix);
          return false;
        }
        return option === actual;
      });
    }
    if (expected !== null && typeof expected === 'object') {
      return actual !== null && typeof actual === 'object'
        && matchesPattern(expected as Record<string, unknown>, actual as Record<string, unknown>);
    }
    return expected === actual;
  });
}

/** GET /_sandbox/info, and /_sandbox/connect/<op> proxied to the simulator's /_sim/<op>. */
async function sandboxRoute(
  req: http.IncomingMessage, res: http.ServerResponse, pathname: string, body: Buffer,
  state: { info: () => Record<string, unknown>; sim?: ConnectSimulator },
): Promise<void> {
  const json = (status: number, value: unknown): void => {
    const payload = JSON.stringify(value, null, 2) + '\n';
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  };
  if (pathname === '/_sandbox/info' && req.method === 'GET') return json(200, state.info());
  const op = /^\/_sandbox\/connect\/([\w-]+)$/.exec(pathname)?.[1];
  if (op && state.sim) {
    const answer = await forward(`${state.sim.url}/_sim/${op}`, req.method ?? 'GET', body);
    res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': answer.body.length });
    res.end(answer.body);
    return;
  }
  return json(404, { message: `unknown sandbox endpoint ${req.method} ${pathname}; see npx projen sandbox --help` });
}

function forward(url: string, method: string, body: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 502, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

main().then((code) => {
  if (code >= 0) process.exit(code);
}, async (err: unknown) => {
  warn(`failed: ${String((err as Error)?.stack ?? err)}`);
  await shutdown('Start-up failed');
  process.exit(1);
});
