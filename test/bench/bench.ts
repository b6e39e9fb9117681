/**
 * `npx projen bench`: the shipped handler and the construct against what
 * users would pick instead, measured in the same run (targets: README, Performance).
 *
 *   bytes    the bundles, raw and gzip; the phone-number metadata separately
 *   cold     a fresh Node process per sample: load the bundle, answer one first call
 *   warm     first calls (claim, call, record) and replays, one at a time,
 *            the variants taking turns request by request (--block-size);
 *            latency and handler CPU
 *   replay   round trips of first calls and replays, counted at a proxy in
 *            front of DynamoDB Local (which it times) and at the Connect
 *            simulator; the lanes take turns in blocks
 *   synth    OutboundCaller's stack vs the same handlers as NodejsFunction (in-process)
 *
 * Variants: "OutboundCaller" (assets/lambda/outbound-caller.lambda, as
 * shipped), "bare" and "powertools" (test/bench/baselines/, bundled here with
 * the shipped esbuild command). Everything listens on 127.0.0.1 and is
 * stopped at the end (DynamoDB Local's JVM too). A benchmark, not a test: it
 * exits 0 whatever the times are, and 1 only when something breaks.
 *
 * Writes test/bench/results/bench.md (the tables printed here) and
 * bench.json (every sample).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  BUILD_TIME_CHANGE, buildBundle, buildWithoutPhoneMetadata, bytesOf, readMetafile, REPO_ROOT, shippedEsbuildFlags,
  type BundleBytes, type MetafileBreakdown,
} from './bundles';
import { CountingProxy, dynamodbMsPerRequest, mergeDeltas, type ProxyDelta } from './counting-proxy';
import { selfTimeByPackage } from './profile-summary';
import { ratio, summarize, type Ratio, type Summary } from './stats';
import type { SynthResult } from './synth';
import type { BatchRequest, BatchResult, ColdResult, LoadResult, WorkerMessage } from './worker';
import { handlerEnv } from '../lambda/bundle';
import { ConnectSimulator } from '../local/connect-simulator';
import { createLedgerTable, startDynamoDbLocal, type DynamoDbLocal } from '../local/dynamodb-local';

// ---------------------------------------------------------------- options

interface Options {
  readonly quick: boolean;
  readonly coldRounds: number;
  readonly requests: number;
  readonly blockSize: number;
  readonly warmup: number;
  readonly replayCheck: number;
  readonly synthRounds: number;
  readonly synth: boolean;
  readonly cpuProf: boolean;
  readonly node: string;
  readonly out: string;
  /** Measure this handler entry (bundled here with the shipped flags) instead of the shipped bundle. */
  readonly oursEntry?: string;
}

const HELP = `Usage: npx projen bench [options]

  --quick             a fast smoke run (5 cold processes, 40 warm requests, 2 synths)
  --cold-rounds N     fresh Node processes per variant for cold start (default 25)
  --requests N        warm requests per variant, first calls and replays each (default 600)
  --block-size N      warm requests per lane in each turn of the rotation (default 1: the lanes take
                      turns request by request, so that a pair shares the machine's load of that moment)
  --synth-rounds N    measured synths per stack (default 5)
  --no-synth          skip the synth benchmark
  --cpu-prof          also write V8 CPU profiles of unminified builds (a cold and a warm process per variant,
                      separate from the measured runs) to the results folder
  --node PATH         Node binary for the handler processes (default: this one)
  --ours-entry FILE   measure this handler entry instead of the shipped bundle (e.g. a patched
                      copy of lambda/), bundled here with the shipped esbuild flags
  --out DIR           results folder (default test/bench/results)
`;

function parseOptions(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const value = (name: string): string | undefined => {
    const index = argv.indexOf(name);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const count = (name: string, fallback: number, min: number): number => {
    const text = value(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new Error(`bench: ${name} needs an integer >= ${min}, got "${text}"`);
    return n;
  };
  const known = new Set(['--quick', '--cold-rounds', '--requests', '--block-size', '--synth-rounds', '--no-synth', '--cpu-prof', '--node', '--out',
    '--ours-entry', '--help']);
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith('--')) continue;
    if (!known.has(argv[i])) throw new Error(`bench: unknown option ${argv[i]}\n\n${HELP}`);
  }
  const requests = count('--requests', quick ? 40 : 600, 10);
  return {
    quick,
    coldRounds: count('--cold-rounds', quick ? 5 : 25, 1),
    requests,
    blockSize: Math.min(count('--block-size', 1, 1), requests),
    warmup: quick ? 10 : 30,
    replayCheck: quick ? 10 : 40,
    synthRounds: count('--synth-rounds', quick ? 2 : 5, 1),
    synth: !argv.includes('--no-synth'),
    cpuProf: argv.includes('--cpu-prof'),
    node: value('--node') ?? process.execPath,
    out: path.resolve(value('--out') ?? path.join(__dirname, 'results')),
    oursEntry: value('--ours-entry'),
  };
}

// ---------------------------------------------------------------- variants

const VARIANTS = ['ours', 'bare', 'powertools'] as const;
type Variant = typeof VARIANTS[number];
/** Variants with a ledger (bare has nothing to replay). */
const IDEMPOTENT: readonly Variant[] = ['ours', 'powertools'];
const LABEL: Record<Variant, string> = { ours: 'OutboundCaller', bare: 'bare', powertools: 'powertools' };
const TABLE: Record<Variant, string> = { ours: 'bench-ledger', bare: 'bench-unused', powertools: 'bench-powertools' };
/** Powertools' table in the like-for-like warm lane: made like the ledger, with its `contactId` index. */
const SAME_TABLE = 'bench-powertools-same-table';
type Baseline = Exclude<Variant, 'ours'>;
const BASELINE_ENTRY: Record<Baseline, string> = {
  bare: 'test/bench/baselines/bare-handler.ts',
  powertools: 'test/bench/baselines/powertools-handler.ts',
};
/** A baseline built with OutboundCaller's build-time changes (like for like), measured in the same cold rounds. */
type SameBuild = `${Baseline}-same-build`;
const SAME_BUILD: readonly SameBuild[] = ['bare-same-build', 'powertools-same-build'];

/**
 * Load-time layers between bare and OutboundCaller (only loaded, never
 * invoked): where the extra cold load goes.
 */
const LAYERS = ['dynamodb', 'phone'] as const;
type Layer = typeof LAYERS[number];
const LAYER_ENTRY: Record<Layer, string> = {
  dynamodb: 'test/bench/baselines/layer-dynamodb.ts',
  phone: 'test/bench/baselines/layer-phone.ts',
};
const LAYER_LABEL: Record<Layer, string> = {
  dynamodb: 'bare + DynamoDB client',
  phone: 'bare + DynamoDB client + phone-number library and metadata',
};

/** Round r runs the variants in a rotated order, so none always goes first. */
function rotated<T>(items: readonly T[], round: number): T[] {
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

// ---------------------------------------------------------------- child processes

/** Every child this process started, so that an interruption ends them all. */
const children = new Set<ChildProcess>();

class Worker {
  private readonly messages: WorkerMessage[] = [];
  private readonly waiting: Array<(message: WorkerMessage | Error) => void> = [];
  private stderr = '';
  private readonly exited: Promise<void>;

  constructor(readonly child: ChildProcess, private readonly what: string) {
    children.add(child);
    child.stderr?.on('data', (chunk: Buffer) => { this.stderr = (this.stderr + chunk.toString('utf8')).slice(-8_000); });
    child.on('message', (message: WorkerMessage) => {
      const waiter = this.waiting.shift();
      if (waiter) waiter(message);
      else this.messages.push(message);
    });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      children.delete(child);
      for (const waiter of this.waiting.splice(0)) {
        waiter(new Error(`${this.what} exited (code ${code}, signal ${signal}) before answering\n${this.stderr}`));
      }
      resolve();
    }));
  }

  /** The next message; an 'error' message or an early exit rejects. */
  async next(timeoutMs = 120_000): Promise<WorkerMessage> {
    const message = this.messages.shift() ?? await new Promise<WorkerMessage | Error>((resolve) => {
      const timer = setTimeout(() => resolve(new Error(`${this.what}: no answer within ${timeoutMs} ms\n${this.stderr}`)), timeoutMs);
      this.waiting.push((m) => { clearTimeout(timer); resolve(m); });
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        this.waiting.pop();
        clearTimeout(timer);
        resolve(new Error(`${this.what} exited before answering\n${this.stderr}`));
      }
    });
    if (message instanceof Error) throw message;
    if (message.type === 'error') throw new Error(`${this.what}: ${message.message}`);
    return message;
  }

  async batch(request: BatchRequest): Promise<BatchResult> {
    this.child.send(request);
    const message = await this.next();
    if (message.type !== 'batch') throw new Error(`${this.what}: expected a batch result, got ${message.type}`);
    return message.result;
  }

  /** Waits for the exit (closing IPC first); kills it after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

interface Stage {
  readonly tmp: string;
  readonly workerJs: string;
  readonly bundles: Record<Variant, string>;
  /** The baselines with the same build-time changes as OutboundCaller. */
  readonly sameBuild: Record<Baseline, string>;
  /** Entry points (for the unminified profiling builds). */
  readonly entries: Record<Variant, string>;
  readonly layers: Record<Layer, string>;
  readonly env: Record<Variant, NodeJS.ProcessEnv>;
  /** Powertools on a table like OutboundCaller's ledger (the `contactId` index too): the like-for-like warm lane. */
  readonly sameTableEnv: NodeJS.ProcessEnv;
  readonly options: Options;
}

/** A Lambda-like environment: the handler's configuration, no shared AWS config files, nothing of ours. */
function childEnv(variant: Variant, home: string, dynamodbEndpoint: string, connectEndpoint: string,
  tableName: string = TABLE[variant]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    AWS_CONFIG_FILE: path.join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-aws-credentials'),
    AWS_LAMBDA_FUNCTION_NAME: `bench-${variant}`,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    // The SDK warns once per process on Node < 22 (not on Lambda's nodejs24.x): the same for every variant, but noise.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  // The construct's defaults: call status on (the write that completes the claim records the call's first status too).
  const defaults = { CALL_STATUS: 'true' };
  for (const [name, value] of Object.entries(handlerEnv({ tableName, dynamodbEndpoint, connectEndpoint, overrides: defaults }))) {
    if (value !== undefined) env[name] = value;
  }
  return env;
}

function forkWorker(stage: Stage, variant: Variant, args: string[], env = stage.env[variant], execArgv: string[] = []): Worker {
  const child = fork(stage.workerJs, args, {
    env,
    execPath: stage.options.node,
    execArgv,
    cwd: stage.tmp,
    // The handlers' log lines go nowhere (stdout); stderr is kept for errors.
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  return new Worker(child, `${LABEL[variant]} worker (${args[0]})`);
}

async function startWarm(stage: Stage, variant: Variant, env?: NodeJS.ProcessEnv, execArgv?: string[]): Promise<Worker> {
  const worker = forkWorker(stage, variant, ['warm', stage.bundles[variant]], env, execArgv);
  const ready = await worker.next();
  if (ready.type !== 'ready') throw new Error(`${LABEL[variant]} worker: expected ready, got ${ready.type}`);
  return worker;
}

// ---------------------------------------------------------------- phases

interface BytesFigures {
  readonly total: Record<Variant, BundleBytes>;
  readonly withoutPhoneMetadata: Record<Variant, BundleBytes>;
  readonly phoneMetadata: BundleBytes;
  readonly breakdown: Record<Variant, MetafileBreakdown>;
  /** The baselines built with OutboundCaller's build-time changes. */
  readonly sameBuild: Record<Baseline, BundleBytes>;
  /** Our own rebuild of the shipped handler matches assets/ byte for byte (same flags). */
  readonly rebuildMatches: boolean;
}

function measureBytes(
  tmp: string,
  oursEntry: string,
  shipped: { file: string; metafile: string },
  baselines: Record<Baseline, { file: string; metafile: string }>,
  sameBuild: Record<Baseline, { file: string; metafile: string }>,
): BytesFigures {
  const noMetadata = buildWithoutPhoneMetadata(oursEntry, path.join(tmp, 'ours-without-phone-metadata'));
  const rebuild = buildBundle(oursEntry, path.join(tmp, 'ours-rebuilt'));
  const total = {
    ours: bytesOf(shipped.file),
    bare: bytesOf(baselines.bare.file),
    powertools: bytesOf(baselines.powertools.file),
  };
  const ours = bytesOf(noMetadata.file);
  const breakdown = {
    ours: readMetafile(shipped.metafile),
    bare: readMetafile(baselines.bare.metafile),
    powertools: readMetafile(baselines.powertools.metafile),
  };
  return {
    total,
    withoutPhoneMetadata: { ours, bare: total.bare, powertools: total.powertools },
    phoneMetadata: { raw: breakdown.ours.phoneMetadataBytes, gzip: total.ours.gzip - ours.gzip },
    breakdown,
    sameBuild: { bare: bytesOf(sameBuild.bare.file), powertools: bytesOf(sameBuild.powertools.file) },
    rebuildMatches: fs.readFileSync(rebuild.file).equals(fs.readFileSync(shipped.file)),
  };
}

interface ColdFigures {
  readonly samples: Record<Variant, ColdResult[]>;
  readonly sameBuild: Record<SameBuild, ColdResult[]>;
  readonly layers: Record<Layer, LoadResult[]>;
  readonly problems: string[];
}

async function measureCold(stage: Stage, runId: string, log: (line: string) => void): Promise<ColdFigures> {
  const samples: Record<Variant, ColdResult[]> = { ours: [], bare: [], powertools: [] };
  const sameBuild: Record<SameBuild, ColdResult[]> = { 'bare-same-build': [], 'powertools-same-build': [] };
  const layers: Record<Layer, LoadResult[]> = { dynamodb: [], phone: [] };
  const problems: string[] = [];
  const runs: Array<Variant | Layer | SameBuild> = [...VARIANTS, ...LAYERS, ...SAME_BUILD];
  for (let round = 0; round < stage.options.coldRounds; round++) {
    for (const run of rotated(runs, round)) {
      if ((LAYERS as readonly string[]).includes(run)) {
        const layer = run as Layer;
        const worker = forkWorker(stage, 'bare', ['load', stage.layers[layer]]);
        const message = await worker.next();
        await worker.stop(5_000);
        if (message.type !== 'load') throw new Error(`load worker: expected a result, got ${message.type}`);
        layers[layer].push(message.result);
        continue;
      }
      if ((SAME_BUILD as readonly string[]).includes(run)) {
        const baseline = run.replace('-same-build', '') as Baseline;
        const worker = forkWorker(stage, baseline, ['cold', stage.sameBuild[baseline], `${runId}-cold-${run}-${round}`]);
        const message = await worker.next();
        await worker.stop(5_000);
        if (message.type !== 'cold') throw new Error(`cold worker: expected a result, got ${message.type}`);
        if (message.result.status !== 200) problems.push(`${run} cold round ${round}: status ${message.result.status}`);
        sameBuild[run as SameBuild].push(message.result);
        continue;
      }
      const variant = run as Variant;
      const worker = forkWorker(stage, variant, ['cold', stage.bundles[variant], `${runId}-cold-${variant}-${round}`]);
      const message = await worker.next();
      await worker.stop(5_000);
      if (message.type !== 'cold') throw new Error(`cold worker: expected a result, got ${message.type}`);
      if (message.result.status !== 200) problems.push(`${LABEL[variant]} cold round ${round}: status ${message.result.status}`);
      samples[variant].push(message.result);
    }
    log(`  cold round ${round + 1}/${stage.options.coldRounds}`);
  }
  return { samples, sameBuild, layers, problems };
}

/** A few hundred requests before anything is measured: DynamoDB Local's JVM compiles its hot paths. */
async function warmUpServers(stage: Stage, runId: string): Promise<void> {
  for (const variant of IDEMPOTENT) {
    const worker = await startWarm(stage, variant);
    try {
      for (let round = 0; round < 3; round++) {
        const keys = Array.from({ length: 50 }, (_, i) => `${runId}-servers-${variant}-${round}-${i}`);
        await worker.batch({ kind: 'first', keys });
        await worker.batch({ kind: 'replay', keys });
      }
    } finally {
      await worker.stop();
    }
  }
}

interface WarmSeries {
  readonly latencyMs: number[];
  readonly cpuMs: number[];
  /** Median latency of each block (one request by default; blocks are interleaved across variants: the pairs of a ratio). */
  readonly blockMedianMs: number[];
  /** CPU of all requests (loop included) over their number. */
  cpuTotalMs: number;
}

interface WarmFigures {
  readonly first: Record<Variant, WarmSeries>;
  readonly replay: Record<Variant, WarmSeries>;
  /** Powertools on a table with the same index as OutboundCaller's ledger (like for like), in the same rotation. */
  readonly sameTable: { readonly first: WarmSeries; readonly replay: WarmSeries };
  readonly problems: string[];
}

const emptySeries = (): WarmSeries => ({ latencyMs: [], cpuMs: [], blockMedianMs: [], cpuTotalMs: 0 });

async function measureWarm(stage: Stage, runId: string, log: (line: string) => void): Promise<WarmFigures> {
  const { requests, blockSize, warmup } = stage.options;
  // The lanes of the rotation: each variant, and powertools once more on a table like the ledger (like for like).
  type Lane = Variant | 'sameTable';
  const lanes: readonly Lane[] = [...VARIANTS, 'sameTable'];
  const idempotentLanes: readonly Lane[] = [...IDEMPOTENT, 'sameTable'];
  const workers = {} as Record<Lane, Worker>;
  const figures: WarmFigures = {
    first: { ours: emptySeries(), bare: emptySeries(), powertools: emptySeries() },
    replay: { ours: emptySeries(), bare: emptySeries(), powertools: emptySeries() },
    sameTable: { first: emptySeries(), replay: emptySeries() },
    problems: [],
  };
  const seriesOf = (kind: 'first' | 'replay', lane: Lane): WarmSeries => (lane === 'sameTable' ? figures.sameTable[kind] : figures[kind][lane]);
  const keys = (lane: Lane, block: string, n: number): string[] =>
    Array.from({ length: n }, (_, i) => `${runId}-warm-${lane}-${block}-${i}`);
  const add = (series: WarmSeries, result: BatchResult): void => {
    series.latencyMs.push(...result.latencyMs);
    series.cpuMs.push(...result.cpuMs);
    series.blockMedianMs.push(summarize(result.latencyMs).median);
    series.cpuTotalMs += result.cpuPerRequestMs * result.latencyMs.length;
    figures.problems.push(...result.problems.slice(0, 5));
  };
  try {
    for (const variant of VARIANTS) workers[variant] = await startWarm(stage, variant);
    workers.sameTable = await startWarm(stage, 'powertools', stage.sameTableEnv);
    // Warm-up (not measured): JIT, connections, DynamoDB Local's own warm-up.
    for (const lane of lanes) {
      const warm = keys(lane, 'warmup', warmup);
      await workers[lane].batch({ kind: 'first', keys: warm });
      if (idempotentLanes.includes(lane)) await workers[lane].batch({ kind: 'replay', keys: warm });
    }
    const blocks = Math.ceil(requests / blockSize);
    const blockKeys = (lane: Lane, block: number): string[] =>
      keys(lane, `b${block}`, Math.min(blockSize, requests - block * blockSize));
    for (let block = 0; block < blocks; block++) {
      for (const lane of rotated(lanes, block)) {
        add(seriesOf('first', lane), await workers[lane].batch({ kind: 'first', keys: blockKeys(lane, block) }));
      }
    }
    log(`  warm: ${requests} first calls per variant`);
    for (let block = 0; block < blocks; block++) {
      for (const lane of rotated(idempotentLanes, block)) {
        add(seriesOf('replay', lane), await workers[lane].batch({ kind: 'replay', keys: blockKeys(lane, block) }));
      }
    }
    log(`  warm: ${requests} replays per idempotent variant`);
  } finally {
    await Promise.all(Object.values(workers).map((worker) => worker.stop()));
  }
  return figures;
}

interface RoundTrips {
  readonly dynamodb: number;
  readonly dynamodbOperations: Record<string, number>;
  readonly connect: number;
  /** Time DynamoDB Local took over one request's round trips, in ms (at the proxy; medians by operation). */
  readonly dynamodbMs: number;
}

/** The lanes of the round-trip check: the idempotent variants, and powertools on a table made like the ledger. */
type CheckLane = 'ours' | 'powertools' | 'sameTable';
const CHECK_LANES: readonly CheckLane[] = ['ours', 'powertools', 'sameTable'];
/** One value per lane of the round-trip check. */
const byCheckLane = <T>(valueOf: (lane: CheckLane) => T): Record<CheckLane, T> =>
  Object.fromEntries(CHECK_LANES.map((lane) => [lane, valueOf(lane)])) as Record<CheckLane, T>;
/** Blocks of the round-trip check: the lanes take turns, so DynamoDB Local's drift over the check falls on each alike. */
const CHECK_BLOCKS = 4;

interface ReplayFigures {
  readonly n: number;
  readonly firstCall: Record<CheckLane, RoundTrips>;
  readonly replay: Record<CheckLane, RoundTrips>;
  readonly problems: string[];
}

/**
 * Round trips of first calls and replays, counted at the proxy, and the time
 * DynamoDB Local took over them. Each lane has its own worker; the lanes run
 * their blocks in turn (rotated), as in the warm rotation, so that a
 * difference between them is not when they ran.
 */
async function checkReplay(stage: Stage, proxy: CountingProxy, sim: ConnectSimulator, runId: string): Promise<ReplayFigures> {
  const n = stage.options.replayCheck;
  const variantOf = (lane: CheckLane): Variant => (lane === 'ours' ? 'ours' : 'powertools');
  const envOf = byCheckLane((lane) =>
    childEnv(variantOf(lane), stage.tmp, proxy.url, sim.url, lane === 'sameTable' ? SAME_TABLE : undefined));
  const seen = {
    first: byCheckLane(() => ({ deltas: [] as ProxyDelta[], connect: 0 })),
    replay: byCheckLane(() => ({ deltas: [] as ProxyDelta[], connect: 0 })),
  };
  const problems: string[] = [];
  const workers = {} as Record<CheckLane, Worker>;
  try {
    for (const lane of CHECK_LANES) {
      workers[lane] = await startWarm(stage, variantOf(lane), envOf[lane]);
      // One call first, unmeasured: the SDK's first request may fetch what it caches.
      await workers[lane].batch({ kind: 'first', keys: [`${runId}-check-${lane}-warmup`] });
    }
    const size = Math.ceil(n / CHECK_BLOCKS);
    for (let block = 0; block * size < n; block++) {
      for (const lane of rotated(CHECK_LANES, block)) {
        const keys = Array.from({ length: Math.min(size, n - block * size) }, (_, i) => `${runId}-check-${lane}-${block}-${i}`);
        for (const kind of ['first', 'replay'] as const) {
          const before = proxy.snapshot();
          const connectBefore = sim.requests.length;
          const result = await workers[lane].batch({ kind, keys });
          seen[kind][lane].deltas.push(proxy.since(before));
          seen[kind][lane].connect += sim.requests.length - connectBefore;
          problems.push(...result.problems.slice(0, 5));
        }
      }
    }
  } finally {
    await Promise.all(Object.values(workers).map((worker) => worker.stop()));
  }
  const perRequest = ({ deltas, connect }: { deltas: ProxyDelta[]; connect: number }): RoundTrips => {
    const delta = mergeDeltas(deltas);
    const dynamodbOperations: Record<string, number> = {};
    let dynamodb = 0;
    for (const [operation, count] of delta.operations) {
      dynamodbOperations[operation] = count / n;
      dynamodb += count;
    }
    return { dynamodb: dynamodb / n, dynamodbOperations, connect: connect / n, dynamodbMs: dynamodbMsPerRequest(delta, n) };
  };
  return {
    n,
    firstCall: byCheckLane((lane) => perRequest(seen.first[lane])),
    replay: byCheckLane((lane) => perRequest(seen.replay[lane])),
    problems,
  };
}

interface Profiles {
  readonly files: string[];
  /** Self time by package as a share of the process's busy CPU time, per variant. */
  readonly cold: Record<Variant, Array<[string, number]>>;
  readonly warm: Record<Variant, Array<[string, number]>>;
  /** The first request after a cold load alone: self time in ms by package. */
  readonly first: Record<Variant, Array<[string, number]>>;
}

/** Processes whose first request is profiled, per variant (their self times are averaged). */
const FIRST_REQUEST_PROFILES = 8;

/**
 * CPU profiles of unminified builds (the shipped flags without --minify, so
 * that names and module boundaries are readable), separate from the measured
 * runs: one cold process (load and a first call), FIRST_REQUEST_PROFILES
 * processes profiled from the end of the load to the first answer, and one
 * warm process (first calls and replays) per variant.
 */
async function writeProfiles(stage: Stage, runId: string, dir: string): Promise<Profiles> {
  fs.mkdirSync(dir, { recursive: true });
  const profiles: Profiles = {
    files: [],
    cold: { ours: [], bare: [], powertools: [] },
    warm: { ours: [], bare: [], powertools: [] },
    first: { ours: [], bare: [], powertools: [] },
  };
  const share = (groups: Array<[string, number]>): Array<[string, number]> => {
    const busy = groups.reduce((sum, [, ms]) => sum + ms, 0);
    return groups.map(([group, ms]) => [group, ms / busy]);
  };
  for (const variant of VARIANTS) {
    // Kept beside the profiles: a profile's line numbers point into it.
    const bundle = buildBundle(stage.entries[variant], path.join(dir, `${variant}-unminified`), [],
      { minify: false, flags: variant === 'ours' ? 'shipped' : 'baseline' }).file;
    const flags = (name: string): string[] => ['--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}`];
    const cold = forkWorker(stage, variant, ['cold', bundle, `${runId}-prof-cold-${variant}`], undefined, flags(`${variant}-cold.cpuprofile`));
    await cold.next();
    await cold.stop();
    // The first request alone, in FIRST_REQUEST_PROFILES processes (one sampled process is too noisy to compare).
    const firstGroups = new Map<string, number>();
    for (let i = 0; i < FIRST_REQUEST_PROFILES; i++) {
      const file = path.join(dir, `${variant}-first-request-${i}.cpuprofile`);
      const first = forkWorker(stage, variant, ['cold', bundle, `${runId}-prof-first-${variant}-${i}`, file]);
      await first.next();
      await first.stop();
      for (const [group, ms] of selfTimeByPackage(file, bundle)) {
        if (group === '(profiler)' || group === '(benchmark worker)') continue;
        firstGroups.set(group, (firstGroups.get(group) ?? 0) + ms / FIRST_REQUEST_PROFILES);
      }
    }
    profiles.first[variant] = [...firstGroups].sort((a, b) => b[1] - a[1]);
    const warm = forkWorker(stage, variant, ['warm', bundle], undefined, flags(`${variant}-warm.cpuprofile`));
    await warm.next();
    const keys = Array.from({ length: stage.options.requests }, (_, i) => `${runId}-prof-${variant}-${i}`);
    await warm.batch({ kind: 'first', keys });
    if (IDEMPOTENT.includes(variant)) await warm.batch({ kind: 'replay', keys });
    await warm.stop();
    profiles.files.push(`${variant}-cold.cpuprofile`, `${variant}-first-request-0.cpuprofile`, `${variant}-warm.cpuprofile`);
    profiles.cold[variant] = share(selfTimeByPackage(path.join(dir, `${variant}-cold.cpuprofile`), bundle));
    profiles.warm[variant] = share(selfTimeByPackage(path.join(dir, `${variant}-warm.cpuprofile`), bundle));
  }
  return profiles;
}

async function measureSynth(options: Options): Promise<SynthResult> {
  const child = fork(path.join(__dirname, 'synth.ts'), [String(options.synthRounds)], {
    cwd: REPO_ROOT,
    execArgv: ['-r', 'ts-node/register/transpile-only'],
    env: { ...process.env, TS_NODE_PROJECT: path.join(REPO_ROOT, 'test', 'tsconfig.json'), CDK_VALIDATION: 'false' },
    // NodejsFunction prints esbuild's progress: keep it only for an error message.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const worker = new Worker(child, 'synth process');
  child.stdout?.resume();
  const message = await worker.next(480_000) as unknown as SynthResult;
  await worker.stop();
  return message;
}

// ---------------------------------------------------------------- report

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
/** A difference in KiB with its sign; "0" under 0.05 KiB. */
const deltaKib = (bytes: number): string => (Math.abs(bytes) < 52 ? '0' : `${bytes > 0 ? '+' : '−'}${kib(Math.abs(bytes))}`);
function num(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : x.toFixed(3);
}
const times = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a');
/** "median (p25–p75)" */
const iqr = (s: Summary, unit = ''): string => `${num(s.median)}${unit} (${num(s.p25)}–${num(s.p75)})`;
/** "median / p99 (p25–p75)" */
const tail = (s: Summary, unit = ''): string => `${num(s.median)}${unit} / ${num(s.p99)}${unit} (${num(s.p25)}–${num(s.p75)})`;
function ratioText(r: Ratio): string {
  if (!r.paired) return `${times(r.ofMedians)} (of medians)`;
  const ci = r.pairedCi95 ? `95 % CI ${times(r.pairedCi95[0])}–${times(r.pairedCi95[1])}, ` : '';
  return `${times(r.paired.median)} (paired; ${ci}IQR ${times(r.paired.p25)}–${times(r.paired.p75)})`;
}
/** The central value of a ratio: per-round pairs when there are any, else the ratio of medians. */
const central = (r: Ratio): number => r.paired?.median ?? r.ofMedians;

type Status = 'met' | 'missed' | 'not measured' | 'like for like (shown, not a target)';
interface Target {
  readonly target: string;
  readonly measured: string;
  readonly status: Status;
  readonly note?: string;
}
/**
 * Met or missed by the central value; "borderline" when the 95 % confidence
 * interval of the paired median spans the limit (this run cannot tell which
 * side of it the handler is on).
 */
function judgeRatio(r: Ratio, limit: number, strict = false): { status: Status; note?: string } {
  const value = central(r);
  const met = strict ? value < limit : value <= limit;
  const spans = r.pairedCi95 !== undefined && r.pairedCi95[0] <= limit && r.pairedCi95[1] >= limit;
  return { status: met ? 'met' : 'missed', note: spans ? 'borderline: the 95 % CI of the median spans the limit' : undefined };
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

interface Report {
  readonly options: Options;
  readonly startedAt: Date;
  readonly durationsMs: Record<string, number>;
  readonly environment: Record<string, string>;
  readonly bytes: BytesFigures;
  readonly layerBytes: Record<Layer, number>;
  readonly cold?: ColdFigures;
  readonly warm?: WarmFigures;
  readonly replay?: ReplayFigures;
  readonly synth?: SynthResult;
  readonly profiles?: Profiles;
  readonly problems: string[];
}

function render(report: Report): { markdown: string; targets: Target[] } {
  const { bytes, cold, warm, replay, synth } = report;
  const out: string[] = [];
  const targets: Target[] = [];
  const v = (variant: Variant): string => LABEL[variant];

  out.push(`# OutboundCaller benchmark${report.options.quick ? ' (--quick: smoke run, too few samples to judge)' : ''}`, '');
  out.push(`${report.startedAt.toISOString()}; ${Object.entries(report.environment).map(([k, x]) => `${k} ${x}`).join('; ')}.`, '');
  out.push('Ratios are OutboundCaller / baseline, measured in this run. Cold and warm samples were taken interleaved '
    + `(rounds of fresh processes, turns of ${report.options.blockSize === 1 ? 'one request' : `${report.options.blockSize} requests`} `
    + 'per lane, in rotating order), and a ratio is the median of the per-round pairs, with a 95 % confidence interval of '
    + 'that median (percentile bootstrap) and the pairs\' interquartile range. Spread is shown as median (p25–p75), warm latency as median / p99 (p25–p75).', '');

  // Bytes
  const rawBare = ratio([bytes.withoutPhoneMetadata.ours.raw], [bytes.withoutPhoneMetadata.bare.raw]);
  const rawPt = ratio([bytes.withoutPhoneMetadata.ours.raw], [bytes.withoutPhoneMetadata.powertools.raw]);
  const gzBare = ratio([bytes.withoutPhoneMetadata.ours.gzip], [bytes.withoutPhoneMetadata.bare.gzip]);
  const gzPt = ratio([bytes.withoutPhoneMetadata.ours.gzip], [bytes.withoutPhoneMetadata.powertools.gzip]);
  out.push('## Bundle bytes', '');
  out.push('Deterministic (one build each, no spread). Without the phone-number metadata: the same build with '
    + '`libphonenumber-js/metadata*` left external; its gzip share is the difference of the two gzip sizes.', '');
  out.push(table(['', v('ours'), v('bare'), v('powertools'), '× bare', '× powertools'], [
    ['raw', kib(bytes.total.ours.raw), kib(bytes.total.bare.raw), kib(bytes.total.powertools.raw),
      times(bytes.total.ours.raw / bytes.total.bare.raw), times(bytes.total.ours.raw / bytes.total.powertools.raw)],
    ['raw, without phone metadata', kib(bytes.withoutPhoneMetadata.ours.raw), kib(bytes.total.bare.raw), kib(bytes.total.powertools.raw),
      times(rawBare.ofMedians), times(rawPt.ofMedians)],
    ['gzip -9', kib(bytes.total.ours.gzip), kib(bytes.total.bare.gzip), kib(bytes.total.powertools.gzip),
      times(bytes.total.ours.gzip / bytes.total.bare.gzip), times(bytes.total.ours.gzip / bytes.total.powertools.gzip)],
    ['gzip -9, without phone metadata', kib(bytes.withoutPhoneMetadata.ours.gzip), kib(bytes.total.bare.gzip), kib(bytes.total.powertools.gzip),
      times(gzBare.ofMedians), times(gzPt.ofMedians)],
    ['phone-number metadata (raw / gzip)', `${kib(bytes.phoneMetadata.raw)} / ${kib(bytes.phoneMetadata.gzip)}`, '–', '–', '', ''],
    ['like for like: raw without phone metadata, baselines with the same build', kib(bytes.withoutPhoneMetadata.ours.raw),
      kib(bytes.sameBuild.bare.raw), kib(bytes.sameBuild.powertools.raw),
      times(bytes.withoutPhoneMetadata.ours.raw / bytes.sameBuild.bare.raw),
      times(bytes.withoutPhoneMetadata.ours.raw / bytes.sameBuild.powertools.raw)],
  ]), '');
  out.push('Baselines are built as users write them: the shipped esbuild flags without OutboundCaller\'s own build-time '
    + 'changes (the lean credentials alias). The like-for-like row builds them with those changes too.', '');
  if (!bytes.rebuildMatches && !report.options.oursEntry) out.push('Note: rebuilding the shipped handler with the flags read from the projen task did not reproduce assets/ byte for byte; run `npx projen bundle`.', '');
  for (const [label, r, limit, strict] of [
    ['bundle raw without phone metadata ≤ 1.15 × bare', rawBare, 1.15, false],
    ['bundle raw without phone metadata < powertools', rawPt, 1, true],
    ['bundle gzip without phone metadata ≤ 1.15 × bare', gzBare, 1.15, false],
    ['bundle gzip without phone metadata < powertools', gzPt, 1, true],
  ] as const) {
    targets.push({ target: label, measured: times(r.ofMedians), ...judgeRatio(r, limit, strict) });
  }
  targets.push({
    target: 'like for like: bundle raw without phone metadata × powertools built with the same changes',
    measured: times(bytes.withoutPhoneMetadata.ours.raw / bytes.sameBuild.powertools.raw),
    status: 'like for like (shown, not a target)',
  });

  // Where the bytes go
  const packages = [...bytes.breakdown.ours.byPackage].sort((a, b) => b[1] - a[1]).slice(0, 14).map(([name]) => name);
  for (const name of ['@aws-lambda-powertools/idempotency', '@aws-lambda-powertools/jmespath']) if (!packages.includes(name)) packages.push(name);
  out.push('### Where the bytes go (esbuild metafiles, bytes in the output by package)', '');
  out.push(table(['package', v('ours'), v('bare'), v('powertools'), `${v('ours')} − bare`],
    packages.map((name) => {
      const [o, b, p] = (['ours', 'bare', 'powertools'] as const).map((variant) => bytes.breakdown[variant].byPackage.get(name) ?? 0);
      return [name, kib(o), kib(b), kib(p), deltaKib(o - b)];
    })), '');
  const topInputs = [...bytes.breakdown.ours.byInput].sort((a, b) => b[1] - a[1]).slice(0, 8);
  out.push(`Largest inputs of ${v('ours')}: ${topInputs.map(([input, n]) => `\`${input.replace(/^node_modules\//, '')}\` ${kib(n)}`).join(', ')}.`, '');

  // Cold
  if (cold) {
    const s = (variant: Variant, pick: (c: ColdResult) => number): number[] => cold.samples[variant].map(pick);
    const load = (variant: Variant): number[] => s(variant, (c) => c.loadMs);
    const first = (variant: Variant): number[] => s(variant, (c) => c.firstRequestMs);
    const both = (variant: Variant): number[] => s(variant, (c) => c.loadMs + c.firstRequestMs);
    const loadCpu = (variant: Variant): number[] => s(variant, (c) => c.loadCpuMs);
    const rss = (variant: Variant): number[] => s(variant, (c) => c.rssBytes / 1024 / 1024);
    const rows: Array<[string, (variant: Variant) => number[], string]> = [
      ['load the bundle (require), ms', load, ''],
      ['CPU of the load, ms', loadCpu, ''],
      ['first request (a first call), ms', first, ''],
      ['CPU of the first request, ms', (variant) => s(variant, (c) => c.firstRequestCpuMs), ''],
      ['load + first request, ms', both, ''],
      ['RSS after the first request, MiB', rss, ''],
    ];
    out.push(`## Cold start (${cold.samples.ours.length} fresh Node ${report.environment.handlerNode} processes per variant)`, '');
    out.push(table(['', v('ours'), v('bare'), v('powertools'), '× bare', '× powertools'],
      rows.map(([label, pick]) => [label, iqr(summarize(pick('ours'))), iqr(summarize(pick('bare'))), iqr(summarize(pick('powertools'))),
        ratioText(ratio(pick('ours'), pick('bare'))), ratioText(ratio(pick('ours'), pick('powertools')))])), '');
    if (cold.sameBuild['powertools-same-build'].length > 0) {
      const sb = (run: SameBuild, pick: (c: ColdResult) => number): number[] => cold.sameBuild[run].map(pick);
      const lflRows: Array<[string, (c: ColdResult) => number]> = [
        ['load the bundle (require), ms', (c) => c.loadMs],
        ['CPU of the load, ms', (c) => c.loadCpuMs],
        ['first request (a first call), ms', (c) => c.firstRequestMs],
        ['CPU of the first request, ms', (c) => c.firstRequestCpuMs],
        ['load + first request, ms', (c) => c.loadMs + c.firstRequestMs],
      ];
      out.push('Like for like: the baselines built with OutboundCaller\'s build-time changes too (same rounds):', '');
      out.push(table(['', v('ours'), 'bare, same build', 'powertools, same build', '× bare, same build', '× powertools, same build'],
        lflRows.map(([label, pick]) => {
          const o = cold.samples.ours.map(pick);
          const b = sb('bare-same-build', pick);
          const p = sb('powertools-same-build', pick);
          return [label, iqr(summarize(o)), iqr(summarize(b)), iqr(summarize(p)), ratioText(ratio(o, b)), ratioText(ratio(o, p))];
        })), '');
    }
    out.push('Load: `require()` of the bundle, which parses and runs its module code (SDK clients and configuration are made '
      + 'there). First request: a first call against DynamoDB Local and the simulator (new connections, first use of each client).', '');

    // Where the cold load goes
    // The layers are built like the shipped handler, so they start from bare built the same way.
    const bareSameBuildLoadCpu = cold.sameBuild['bare-same-build'].map((c) => c.loadCpuMs);
    const layerRows: Array<[string, number[], number]> = [
      [`${v('bare')} (Connect client), built like the shipped handler`, bareSameBuildLoadCpu, bytes.sameBuild.bare.raw],
      ...LAYERS.map((layer): [string, number[], number] =>
        [LAYER_LABEL[layer], cold.layers[layer].map((l) => l.loadCpuMs), report.layerBytes[layer]]),
      [`${v('ours')}`, loadCpu('ours'), bytes.total.ours.raw],
    ];
    out.push('### Where the cold load goes (CPU of `require()`, layers built with the shipped flags, loaded in the same rounds)', '');
    out.push(table(['bundle', 'raw bytes', 'load CPU, ms', 'step over the row above, ms (median of pairs)', '× bare as users build it'],
      layerRows.map(([label, samples, raw], i) => {
        const previous = i > 0 ? layerRows[i - 1][1] : undefined;
        const step = previous ? summarize(samples.map((x, k) => x - previous[k])).median : NaN;
        return [label, kib(raw), iqr(summarize(samples)), previous ? num(step) : '', ratioText(ratio(samples, loadCpu('bare')))];
      })), '');

    const loadRatio = ratio(load('ours'), load('bare'));
    const loadCpuRatio = ratio(loadCpu('ours'), loadCpu('bare'));
    targets.push({ target: 'cold load ≤ 1.10 × bare (wall time)', measured: ratioText(loadRatio), ...judgeRatio(loadRatio, 1.1) });
    targets.push({ target: 'cold load ≤ 1.10 × bare (CPU time: steadier on a shared machine)', measured: ratioText(loadCpuRatio), ...judgeRatio(loadCpuRatio, 1.1) });
    const firstCpu = (variant: Variant): number[] => s(variant, (c) => c.firstRequestCpuMs);
    const bothCpu = (variant: Variant): number[] => s(variant, (c) => c.loadCpuMs + c.firstRequestCpuMs);
    for (const [label, pick] of [
      ['cold load (require) ≤ 1.00 × powertools (CPU time)', loadCpu],
      ['first request after a cold load ≤ 1.00 × powertools (wall time)', first],
      ['first request after a cold load ≤ 1.00 × powertools (CPU time)', firstCpu],
      ['load + first request ≤ 1.00 × powertools (wall time)', both],
      ['load + first request ≤ 1.00 × powertools (CPU time)', bothCpu],
    ] as const) {
      const r = ratio(pick('ours'), pick('powertools'));
      targets.push({ target: label, measured: ratioText(r), ...judgeRatio(r, 1) });
    }
    const sameBuild = (run: SameBuild, pick: (c: ColdResult) => number): number[] => cold.sameBuild[run].map(pick);
    if (cold.sameBuild['powertools-same-build'].length > 0) {
      const lfl = ratio(both('ours'), sameBuild('powertools-same-build', (c) => c.loadMs + c.firstRequestMs));
      const lflCpu = ratio(bothCpu('ours'), sameBuild('powertools-same-build', (c) => c.loadCpuMs + c.firstRequestCpuMs));
      targets.push({
        target: 'like for like: load + first request × powertools built with the same changes (wall / CPU)',
        measured: `${ratioText(lfl)} / ${ratioText(lflCpu)}`,
        status: 'like for like (shown, not a target)',
      });
    }
  } else {
    targets.push({ target: 'cold load ≤ 1.10 × bare', measured: '–', status: 'not measured' });
  }

  // Warm
  if (warm) {
    out.push(`## Warm (${warm.first.ours.latencyMs.length} requests per variant and kind, one at a time, against DynamoDB Local and the Connect simulator with its quota off)`, '');
    const firstRatioPt = ratio(warm.first.ours.blockMedianMs, warm.first.powertools.blockMedianMs);
    const firstRatioBare = ratio(warm.first.ours.blockMedianMs, warm.first.bare.blockMedianMs);
    const replayRatioPt = ratio(warm.replay.ours.blockMedianMs, warm.replay.powertools.blockMedianMs);
    const cpuMean = (series: WarmSeries): string => `${num(series.cpuTotalMs / Math.max(1, series.latencyMs.length))}`;
    out.push(table(['', v('ours'), v('bare'), v('powertools'), '× bare', '× powertools'], [
      ['first call (claim, call, record), ms', tail(summarize(warm.first.ours.latencyMs)), tail(summarize(warm.first.bare.latencyMs)),
        tail(summarize(warm.first.powertools.latencyMs)), ratioText(firstRatioBare), ratioText(firstRatioPt)],
      ['replay, ms', tail(summarize(warm.replay.ours.latencyMs)), '–', tail(summarize(warm.replay.powertools.latencyMs)), '', ratioText(replayRatioPt)],
      ['handler CPU per first call, ms', iqr(summarize(warm.first.ours.cpuMs)), iqr(summarize(warm.first.bare.cpuMs)), iqr(summarize(warm.first.powertools.cpuMs)),
        times(summarize(warm.first.ours.cpuMs).median / summarize(warm.first.bare.cpuMs).median),
        times(summarize(warm.first.ours.cpuMs).median / summarize(warm.first.powertools.cpuMs).median)],
      ['handler CPU per replay, ms', iqr(summarize(warm.replay.ours.cpuMs)), '–', iqr(summarize(warm.replay.powertools.cpuMs)), '',
        times(summarize(warm.replay.ours.cpuMs).median / summarize(warm.replay.powertools.cpuMs).median)],
      ['CPU of all first calls / n, ms', cpuMean(warm.first.ours), cpuMean(warm.first.bare), cpuMean(warm.first.powertools), '', ''],
      ['CPU of all replays / n, ms', cpuMean(warm.replay.ours), '–', cpuMean(warm.replay.powertools), '', ''],
    ]), '');
    out.push(`Latency ratios pair ${report.options.blockSize === 1 ? 'the requests of a turn (the lanes take turns request by request)' : `the medians of a turn's blocks of ${report.options.blockSize} requests`}. `
      + 'Handler CPU: `process.cpuUsage()` around each '
      + 'handler call in a process that does nothing else (waiting on DynamoDB Local or the simulator costs no CPU); it '
      + 'includes the SDK, JSON logs and EMF lines, and garbage collection.', '');
    targets.push({ target: 'warm first call ≤ 1.0 × powertools', measured: ratioText(firstRatioPt), ...judgeRatio(firstRatioPt, 1) });
    const cpuFirst = summarize(warm.first.ours.cpuMs).median;
    const cpuReplay = summarize(warm.replay.ours.cpuMs).median;
    const cpuFirstPt = summarize(warm.first.powertools.cpuMs).median;
    const cpuReplayPt = summarize(warm.replay.powertools.cpuMs).median;
    targets.push({
      target: 'handler CPU per first call ≤ 1.00 × powertools (medians)',
      measured: `${times(cpuFirst / cpuFirstPt)} (${num(cpuFirst)} / ${num(cpuFirstPt)} ms)`,
      status: cpuFirst <= cpuFirstPt ? 'met' : 'missed',
    });
    targets.push({
      target: 'handler CPU per replay ≤ 1.00 × powertools (medians)',
      measured: `${times(cpuReplay / cpuReplayPt)} (${num(cpuReplay)} / ${num(cpuReplayPt)} ms)`,
      status: cpuReplay <= cpuReplayPt ? 'met' : 'missed',
    });
    const replayRatio = ratio(warm.replay.ours.blockMedianMs, warm.replay.powertools.blockMedianMs);
    targets.push({ target: 'warm replay ≤ 1.00 × powertools', measured: ratioText(replayRatio), ...judgeRatio(replayRatio, 1) });

    // Like for like: powertools on a table like the ledger, in the same rotation.
    const same = warm.sameTable;
    const firstSame = ratio(warm.first.ours.blockMedianMs, same.first.blockMedianMs);
    const replaySame = ratio(warm.replay.ours.blockMedianMs, same.replay.blockMedianMs);
    out.push('Like for like: powertools on a table made like OutboundCaller\'s ledger, with its keys-only `contactId` index '
      + '(same rotation). DynamoDB Local updates a table\'s global secondary indexes inside every write to it; DynamoDB on AWS '
      + 'propagates them asynchronously, and the write does not wait. Powertools never writes `contactId`, so the index only '
      + 'costs it what DynamoDB Local charges any write to an indexed table:', '');
    out.push(table(['', v('ours'), 'powertools, same table', '× powertools, same table'], [
      ['first call (claim, call, record), ms', tail(summarize(warm.first.ours.latencyMs)), tail(summarize(same.first.latencyMs)), ratioText(firstSame)],
      ['replay, ms', tail(summarize(warm.replay.ours.latencyMs)), tail(summarize(same.replay.latencyMs)), ratioText(replaySame)],
      ['handler CPU per first call, ms', iqr(summarize(warm.first.ours.cpuMs)), iqr(summarize(same.first.cpuMs)),
        times(summarize(warm.first.ours.cpuMs).median / summarize(same.first.cpuMs).median)],
      ['handler CPU per replay, ms', iqr(summarize(warm.replay.ours.cpuMs)), iqr(summarize(same.replay.cpuMs)),
        times(summarize(warm.replay.ours.cpuMs).median / summarize(same.replay.cpuMs).median)],
    ]), '');
    targets.push({
      target: 'like for like: warm first call / replay × powertools on a table with the same index',
      measured: `${ratioText(firstSame)} / ${ratioText(replaySame)}`,
      status: 'like for like (shown, not a target)',
    });
  } else {
    targets.push({ target: 'warm first call ≤ 1.0 × powertools', measured: '–', status: 'not measured' });
  }

  // Memory model
  if (cold && warm) {
    const coldCpu = summarize(cold.samples.ours.map((c) => c.loadCpuMs + c.firstRequestCpuMs)).median;
    const warmCpu = summarize(warm.first.ours.cpuMs).median;
    out.push(...memoryModel(coldCpu, warmCpu));
  }

  // Replay
  if (replay) {
    const ops = (trips: RoundTrips): string => Object.entries(trips.dynamodbOperations).map(([op, n]) => `${op} ${num(n)}`).join(', ') || 'none';
    out.push(`## Round trips per request (${replay.n} requests each, counted at a proxy before DynamoDB Local and at the Connect simulator)`, '');
    const laneLabel: Record<CheckLane, string> = { ours: v('ours'), powertools: v('powertools'), sameTable: 'powertools on a table with the same index' };
    out.push(table(['', 'DynamoDB round trips', 'operations', 'time in DynamoDB Local, ms', 'Connect calls'], CHECK_LANES.flatMap((lane) => [
      [`${laneLabel[lane]}, first call`, num(replay.firstCall[lane].dynamodb), ops(replay.firstCall[lane]),
        num(replay.firstCall[lane].dynamodbMs), num(replay.firstCall[lane].connect)],
      [`${laneLabel[lane]}, replay`, num(replay.replay[lane].dynamodb), ops(replay.replay[lane]),
        num(replay.replay[lane].dynamodbMs), num(replay.replay[lane].connect)],
    ])), '');
    out.push(`The lanes take turns in ${CHECK_BLOCKS} blocks (rotated), each with its own worker. Time in DynamoDB Local: `
      + 'from the last byte of a request passed on by the proxy to the last byte of its answer, '
      + 'the median of each operation, summed over a request\'s round trips (they run one at a time, so this is part of the '
      + 'warm latency above, plus the proxy\'s own hop). It is DynamoDB Local\'s own '
      + 'work, which on AWS is not the same: DynamoDB Local updates a table\'s global secondary indexes (OutboundCaller\'s '
      + 'ledger has the `contactId` index, powertools\' own table none) inside every write, where DynamoDB propagates them '
      + 'asynchronously. The third lane is powertools on a table made like the ledger, with that index, as in the '
      + 'like-for-like warm lane.', '');
    const oursFirst = replay.firstCall.ours;
    const powertoolsFirst = replay.firstCall.powertools;
    targets.push({
      target: 'a first call: 2 DynamoDB calls (claim, complete), like powertools, and one Connect call',
      measured: `${num(oursFirst.dynamodb)} (${ops(oursFirst)}); powertools ${num(powertoolsFirst.dynamodb)} (${ops(powertoolsFirst)}); `
        + `${num(oursFirst.connect)} Connect call(s)`,
      status: oursFirst.dynamodb === 2 && oursFirst.dynamodb <= powertoolsFirst.dynamodb && oursFirst.connect === 1 ? 'met' : 'missed',
    });
    const ours = replay.replay.ours;
    targets.push({
      target: 'a replay: one DynamoDB round trip, no Connect call',
      measured: `${num(ours.dynamodb)} round trip(s) (${ops(ours)}), ${num(ours.connect)} Connect call(s)`,
      status: ours.dynamodb === 1 && ours.connect === 0 ? 'met' : 'missed',
    });
  }

  // Synth
  if (synth) {
    const r = ratio(synth.timesMs.outboundCaller, synth.timesMs.nodejsFunction);
    out.push(`## Synth (in-process, new App per synth, asset cache cleared, built-in validation off; ${synth.timesMs.outboundCaller.length} measured synths each after one unmeasured)`, '');
    out.push(table(['stack', 'synth, ms', 'first synth in the process, ms', 'resources'], [
      ['OutboundCaller (pre-bundled handlers)', iqr(summarize(synth.timesMs.outboundCaller)), num(synth.firstMs.outboundCaller), String(synth.resources.outboundCaller)],
      ['NodejsFunction stack (the same two handlers bundled at synth)', iqr(summarize(synth.timesMs.nodejsFunction)), num(synth.firstMs.nodejsFunction), String(synth.resources.nodejsFunction)],
      ['ratio', ratioText(r), times(synth.firstMs.outboundCaller / synth.firstMs.nodejsFunction), ''],
    ]), '');
    targets.push({ target: 'synth ≤ 0.1 × the NodejsFunction stack', measured: ratioText(r), ...judgeRatio(r, 0.1) });
  } else {
    targets.push({ target: 'synth ≤ 0.1 × the NodejsFunction stack', measured: '–', status: 'not measured' });
  }

  out.push('## Targets', '');
  out.push(table(['target', 'measured', 'status'], targets.map((t) => [t.target, t.measured, t.note ? `${t.status} (${t.note})` : t.status])), '');
  if (report.problems.length > 0) {
    out.push('## Problems seen', '', ...report.problems.slice(0, 20).map((p) => `- ${p}`), '');
  }
  if (report.profiles) {
    const profiles = report.profiles;
    out.push('## Where the CPU time goes (--cpu-prof: unminified builds, separate runs)', '');
    for (const kind of ['cold', 'warm'] as const) {
      const groups = profiles[kind].ours.slice(0, 12).map(([group]) => group);
      const shareOf = (variant: Variant, group: string): string => {
        const found = profiles[kind][variant].find(([g]) => g === group);
        return found ? `${(found[1] * 100).toFixed(1)} %` : '–';
      };
      out.push(kind === 'cold'
        ? 'Cold process (load and one first call), self time as a share of busy CPU time:'
        : `Warm process (${report.options.requests} first calls and ${report.options.requests} replays), self time as a share of busy CPU time:`, '');
      out.push(table(['', v('ours'), v('bare'), v('powertools')],
        groups.map((group) => [group, shareOf('ours', group), shareOf('bare', group), shareOf('powertools', group)])), '');
    }
    const firstGroups = profiles.first.ours.slice(0, 14).map(([group]) => group);
    const msOf = (variant: Variant, group: string): string => {
      const found = profiles.first[variant].find(([g]) => g === group);
      return found ? found[1].toFixed(2) : '–';
    };
    const busy = (variant: Variant): string => profiles.first[variant].reduce((sum, [, ms]) => sum + ms, 0).toFixed(1);
    out.push('The first request after a cold load alone (profiled from the end of the load to the answer), self time in ms, '
      + `the mean of ${FIRST_REQUEST_PROFILES} processes each (sampled every 50 µs; the profiler slows a process down, so read the `
      + 'differences, not the totals):', '');
    out.push(table(['', v('ours'), v('bare'), v('powertools')], [
      ...firstGroups.map((group) => [group, msOf('ours', group), msOf('bare', group), msOf('powertools', group)]),
      ['busy, all groups', busy('ours'), busy('bare'), busy('powertools')],
    ]), '');
    out.push(`Profiles (Chrome DevTools or speedscope): ${profiles.files.map((p) => `\`profiles/${p}\``).join(', ')}.`, '');
  }
  out.push(`Phases: ${Object.entries(report.durationsMs).map(([phase, ms]) => `${phase} ${(ms / 1000).toFixed(1)} s`).join(', ')}.`, '');
  return { markdown: out.join('\n'), targets };
}

// ---------------------------------------------------------------- memory model

/** Lambda gives a function CPU in proportion to its memory: 1,769 MB is one full vCPU (the handler uses one thread). */
const FULL_VCPU_MB = 1_769;
/** arm64 price in us-east-1 (first tier): USD per GB-second, and per request. */
const PRICE_PER_GB_SECOND = 0.0000133334;
const PRICE_PER_REQUEST = 0.2 / 1_000_000;
/** Assumed time a first call waits on AWS (claim, StartOutboundVoiceContact, record), which memory does not change. */
const ASSUMED_IO_WAIT_MS = 50;
const MEMORY_SIZES = [128, 256, 512, 1024, 1536, 1769];

/**
 * Cold first-call time and cost per 1,000 calls by memory size, from this
 * run's CPU figures: CPU time / vCPU share, plus an assumed I/O wait.
 */
function memoryModel(coldCpuMs: number, warmCpuMs: number): string[] {
  const usd = (x: number): string => `$${x.toFixed(4)}`;
  const rows = MEMORY_SIZES.map((mb) => {
    const share = Math.min(mb, FULL_VCPU_MB) / FULL_VCPU_MB;
    const coldMs = coldCpuMs / share;
    const warmMs = warmCpuMs / share + ASSUMED_IO_WAIT_MS;
    const costPerThousand = 1_000 * (warmMs / 1_000 * mb / 1_024 * PRICE_PER_GB_SECOND + PRICE_PER_REQUEST);
    return [`${mb} MB`, share.toFixed(3), num(coldMs), num(coldMs + ASSUMED_IO_WAIT_MS), num(warmMs), usd(costPerThousand)];
  });
  return [
    `## Memory model (from this run: cold CPU ${num(coldCpuMs)} ms for load + first call, warm CPU ${num(warmCpuMs)} ms per first call)`, '',
    `Lambda gives ${FULL_VCPU_MB} MB one full vCPU and less memory a proportional share; CPU time stretches by 1 / share. `
      + `The I/O wait of a call (${ASSUMED_IO_WAIT_MS} ms assumed for claim, StartOutboundVoiceContact and record in one region) `
      + `does not depend on memory. Cost: arm64, us-east-1, $${PRICE_PER_GB_SECOND} per GB-s and $0.20 per million requests; `
      + 'the CPU part of the cost is the same at every size up to one vCPU, the waiting part grows with memory.', '',
    table(['memory', 'vCPU share', 'cold CPU time, ms', 'cold first call with I/O, ms', 'warm first call, ms', 'cost per 1,000 warm calls'], rows),
    '',
  ];
}

// ---------------------------------------------------------------- main

function versionOf(name: string): string {
  try {
    // Not through require.resolve: some packages do not export their package.json.
    return (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (process.argv.includes('--help')) {
    process.stdout.write(HELP);
    return 0;
  }
  const log = (line: string): void => { process.stderr.write(`${line}\n`); };
  // This process's own SDK clients (table creation) would warn about Node 20 too.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const startedAt = new Date();
  const started = Date.now();
  const durationsMs: Record<string, number> = {};
  const phase = async <T>(name: string, fn: () => Promise<T> | T): Promise<T> => {
    const t = Date.now();
    log(`bench: ${name}…`);
    try {
      return await fn();
    } finally {
      durationsMs[name] = Date.now() - t;
    }
  };
  const runId = randomUUID().slice(0, 8);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'outbound-caller-bench-'));
  const problems: string[] = [];
  let ddb: DynamoDbLocal | undefined;
  let sim: ConnectSimulator | undefined;
  let proxy: CountingProxy | undefined;
  const loadBefore = os.loadavg()[0];

  // DynamoDB Local starts in the background while the bundles build.
  const ddbStarting = startDynamoDbLocal();
  ddbStarting.then((local) => { ddb = local; }, () => undefined);

  const cleanup = async (): Promise<void> => {
    for (const child of children) child.kill('SIGKILL');
    await proxy?.stop();
    await sim?.stop();
    await ddbStarting.then((local) => local.stop(), () => undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  const interrupted = (signal: NodeJS.Signals): void => {
    log(`bench: ${signal}, stopping everything`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  try {
    const shipped = {
      file: path.join(REPO_ROOT, 'assets', 'lambda', 'outbound-caller.lambda', 'index.js'),
      metafile: path.join(REPO_ROOT, 'assets', 'lambda', 'outbound-caller.lambda.meta.json'),
    };
    if (!fs.existsSync(shipped.file) || !fs.existsSync(shipped.metafile)) {
      throw new Error('bench: assets/lambda/outbound-caller.lambda is missing: run `npx projen bundle` (or `npx projen bench`, which does)');
    }
    const oursEntry = options.oursEntry ? path.relative(REPO_ROOT, path.resolve(options.oursEntry)) : 'lambda/outbound-caller.lambda.ts';
    const built = await phase('build', () => {
      const baselines = {
        bare: buildBundle(BASELINE_ENTRY.bare, path.join(tmp, 'bare'), [], { flags: 'baseline' }),
        powertools: buildBundle(BASELINE_ENTRY.powertools, path.join(tmp, 'powertools'), [], { flags: 'baseline' }),
      };
      // Like for like: the baselines with OutboundCaller's build-time changes too.
      const sameBuild = {
        bare: buildBundle(BASELINE_ENTRY.bare, path.join(tmp, 'bare-same-build')),
        powertools: buildBundle(BASELINE_ENTRY.powertools, path.join(tmp, 'powertools-same-build')),
      };
      const layers = {
        dynamodb: buildBundle(LAYER_ENTRY.dynamodb, path.join(tmp, 'layer-dynamodb')).file,
        phone: buildBundle(LAYER_ENTRY.phone, path.join(tmp, 'layer-phone')).file,
      };
      const ours = options.oursEntry ? buildBundle(oursEntry, path.join(tmp, 'ours')) : shipped;
      // The worker is plain JavaScript: no TypeScript tooling in the measured processes.
      const workerJs = path.join(tmp, 'worker.js');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      (require('esbuild') as typeof import('esbuild')).buildSync({
        entryPoints: [path.join(__dirname, 'worker.ts')],
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        outfile: workerJs,
        logLevel: 'error',
      });
      return { baselines, sameBuild, layers, ours, workerJs };
    });
    const bytes = await phase('bytes', () => measureBytes(tmp, oursEntry, built.ours, built.baselines, built.sameBuild));

    const servers = await phase('start DynamoDB Local and the simulator', async () => {
      const local = await ddbStarting;
      // Powertools' table is the same minus the contact index (it has no call status to find); the like-for-like
      // warm lane gives powertools a table with the index too (DynamoDB Local maintains it inside each write).
      await Promise.all([
        createLedgerTable(local.endpoint, TABLE.ours),
        createLedgerTable(local.endpoint, TABLE.powertools, { contactIndex: false }),
        createLedgerTable(local.endpoint, SAME_TABLE),
      ]);
      sim = await ConnectSimulator.start({ quota: false });
      proxy = await CountingProxy.start(local.endpoint);
      return { dynamodb: local.endpoint, connect: sim.url };
    });
    const stage: Stage = {
      tmp,
      workerJs: built.workerJs,
      bundles: { ours: built.ours.file, bare: built.baselines.bare.file, powertools: built.baselines.powertools.file },
      sameBuild: { bare: built.sameBuild.bare.file, powertools: built.sameBuild.powertools.file },
      layers: built.layers,
      entries: { ours: oursEntry, ...BASELINE_ENTRY },
      env: {
        ours: childEnv('ours', tmp, servers.dynamodb, servers.connect),
        bare: childEnv('bare', tmp, servers.dynamodb, servers.connect),
        powertools: childEnv('powertools', tmp, servers.dynamodb, servers.connect),
      },
      sameTableEnv: childEnv('powertools', tmp, servers.dynamodb, servers.connect, SAME_TABLE),
      options,
    };

    await phase('warm up DynamoDB Local', () => warmUpServers(stage, runId));
    sim!.reset();
    const cold = await phase('cold start', () => measureCold(stage, runId, log));
    problems.push(...cold.problems);
    sim!.reset();
    const warm = await phase('warm', () => measureWarm(stage, runId, log));
    problems.push(...warm.problems);
    sim!.reset();
    const replay = await phase('replay check', () => checkReplay(stage, proxy!, sim!, runId));
    problems.push(...replay.problems);
    const profiles = options.cpuProf
      ? await phase('cpu profiles', () => writeProfiles(stage, runId, path.join(options.out, 'profiles')))
      : undefined;

    await phase('stop servers', async () => {
      await proxy?.stop();
      await sim?.stop();
      await ddb?.stop();
      proxy = undefined;
      sim = undefined;
      ddb = undefined;
    });
    const synth = options.synth ? await phase('synth', () => measureSynth(options)) : undefined;

    durationsMs.total = Date.now() - started;
    const environment: Record<string, string> = {
      'handlerNode': options.node === process.execPath ? process.version : path.basename(options.node),
      'handler processes on Node': options.node === process.execPath
        ? `${process.version} (the machine's; Lambda runs nodejs24.x)` : options.node,
      'CPU': `${os.cpus()[0]?.model ?? '?'} × ${os.cpus().length}`,
      'load average (1 min) before / after': `${loadBefore.toFixed(2)} / ${os.loadavg()[0].toFixed(2)}`,
      'esbuild': versionOf('esbuild'),
      '@aws-sdk/client-connect': versionOf('@aws-sdk/client-connect'),
      '@aws-sdk/client-dynamodb': versionOf('@aws-sdk/client-dynamodb'),
      '@aws-lambda-powertools/idempotency': versionOf('@aws-lambda-powertools/idempotency'),
      'libphonenumber-js': versionOf('libphonenumber-js'),
      'aws-cdk-lib': versionOf('aws-cdk-lib'),
      'esbuild flags': shippedEsbuildFlags().join(' '),
      'baselines as users write them: the same flags without': shippedEsbuildFlags().filter((f) => BUILD_TIME_CHANGE.test(f)).join(' ') || 'nothing',
      ...(options.oursEntry ? { 'OutboundCaller built from': oursEntry } : {}),
    };
    const layerBytes = { dynamodb: bytesOf(built.layers.dynamodb).raw, phone: bytesOf(built.layers.phone).raw };
    const report: Report = { options, startedAt, durationsMs, environment, bytes, layerBytes, cold, warm, replay, synth, profiles, problems };
    const { markdown, targets } = render(report);
    fs.mkdirSync(options.out, { recursive: true });
    fs.writeFileSync(path.join(options.out, 'bench.md'), markdown + '\n');
    fs.writeFileSync(path.join(options.out, 'bench.json'), JSON.stringify({
      ...report,
      bytes: {
        ...bytes,
        breakdown: Object.fromEntries(Object.entries(bytes.breakdown).map(([variant, b]) => [variant, {
          outputBytes: b.outputBytes, phoneMetadataBytes: b.phoneMetadataBytes, byPackage: Object.fromEntries(b.byPackage),
        }])),
      },
      targets,
    }, null, 2) + '\n');
    process.stdout.write(markdown + '\n');
    log(`bench: wrote ${path.relative(process.cwd(), path.join(options.out, 'bench.md'))} in ${(durationsMs.total / 1000).toFixed(0)} s`);
    // Times never fail the run; wrong answers do (the figures would measure something else).
    if (problems.length > 0) log(`bench: ${problems.length} request(s) were not answered as expected; see "Problems seen"`);
    return problems.length > 0 ? 1 : 0;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
