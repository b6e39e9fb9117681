/**
 * The process that runs one handler bundle for bench.ts. Plain Node: bench.ts
 * bundles this file with esbuild into a temporary folder and forks it, so no
 * TypeScript tooling is loaded next to the handler (it would distort load
 * time and memory).
 *
 *   node worker.js cold <bundle> <idempotency-key> [<profile file>]
 *     loads the bundle and answers one first call; reports load time, time
 *     of the first request, CPU and resident memory after it; then exits.
 *     With a profile file: a CPU profile of the first request alone.
 *   node worker.js load <bundle>
 *     only loads the bundle (for the load-time layers); reports load time and CPU.
 *   node worker.js warm <bundle>
 *     loads the bundle and answers batches of requests sent by the parent
 *     ({ kind: 'first' | 'replay', keys }) one at a time; reports per
 *     request wall time and CPU time (process.cpuUsage around the handler
 *     call: the process does nothing else, and waiting on I/O costs no CPU).
 *
 * The environment (handler configuration, endpoints of DynamoDB Local and the
 * simulator) comes from the parent. The handlers' log lines go to /dev/null.
 */
import { callEvent, lambdaContext, type ProxyHandler } from '../local/proxy-event';

/** A destination every variant accepts: valid, not premium rate, not +447. */
export const DESTINATION = '+12125550124';

export interface ColdResult {
  readonly loadMs: number;
  readonly loadCpuMs: number;
  readonly firstRequestMs: number;
  readonly firstRequestCpuMs: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly status: number;
}

export interface BatchRequest {
  readonly kind: 'first' | 'replay';
  readonly keys: readonly string[];
}

export interface BatchResult {
  readonly kind: 'first' | 'replay';
  readonly latencyMs: number[];
  readonly cpuMs: number[];
  /** CPU of the whole batch (handler calls and the loop around them) divided by the number of requests. */
  readonly cpuPerRequestMs: number;
  /** Answers that were not what the kind expects (status, replay header, replayed body). */
  readonly problems: string[];
}

export interface LoadResult {
  readonly loadMs: number;
  readonly loadCpuMs: number;
}

export type WorkerMessage =
  | { readonly type: 'cold'; readonly result: ColdResult }
  | { readonly type: 'load'; readonly result: LoadResult }
  | { readonly type: 'ready'; readonly loadMs: number }
  | { readonly type: 'batch'; readonly result: BatchResult }
  | { readonly type: 'error'; readonly message: string };

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()));
}

const ms = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;
const cpuMs = (usage: NodeJS.CpuUsage): number => (usage.user + usage.system) / 1000;

function event(key: string): ReturnType<typeof callEvent> {
  return callEvent({ DestinationPhoneNumber: DESTINATION }, { idempotencyKey: key });
}

/** With a file name: a V8 CPU profile of the first request alone (after the load), written there. */
async function profiled<T>(file: string | undefined, run: () => Promise<T>): Promise<T> {
  if (!file) return run();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const inspector = require('node:inspector') as typeof import('node:inspector');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('node:fs') as typeof import('node:fs');
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object): Promise<any> =>
    new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 50 });
  await post('Profiler.start');
  const result = await run();
  const { profile } = await post('Profiler.stop');
  fs.writeFileSync(file, JSON.stringify(profile));
  session.disconnect();
  return result;
}

async function cold(bundle: string, key: string, firstRequestProfile?: string): Promise<void> {
  const firstEvent = event(key);
  const context = lambdaContext();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { handler } = require(bundle) as { handler: ProxyHandler };
  const loadMs = ms(t0);
  const loadCpu = process.cpuUsage(cpu0);
  const cpu1 = process.cpuUsage();
  const t1 = process.hrtime.bigint();
  const answer = await profiled(firstRequestProfile, () => handler(firstEvent, context));
  const firstRequestMs = ms(t1);
  const firstRequestCpu = process.cpuUsage(cpu1);
  const memory = process.memoryUsage();
  await send({
    type: 'cold',
    result: {
      loadMs,
      loadCpuMs: cpuMs(loadCpu),
      firstRequestMs,
      firstRequestCpuMs: cpuMs(firstRequestCpu),
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      status: answer.statusCode,
    },
  });
}

async function load(bundle: string): Promise<void> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(bundle);
  const loadMs = ms(t0);
  await send({ type: 'load', result: { loadMs, loadCpuMs: cpuMs(process.cpuUsage(cpu0)) } });
}

async function warm(bundle: string): Promise<void> {
  const t0 = process.hrtime.bigint();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { handler } = require(bundle) as { handler: ProxyHandler };
  const loadMs = ms(t0);
  const firstBodies = new Map<string, string>();

  const runBatch = async (request: BatchRequest): Promise<BatchResult> => {
    // Events and contexts are made before the clock starts.
    const events = request.keys.map((key) => ({ key, event: event(key), context: lambdaContext() }));
    const latencyMs: number[] = [];
    const cpu: number[] = [];
    const problems: string[] = [];
    const batchCpu0 = process.cpuUsage();
    for (const { key, event: e, context } of events) {
      const c0 = process.cpuUsage();
      const t = process.hrtime.bigint();
      const answer = await handler(e, context);
      latencyMs.push(ms(t));
      cpu.push(cpuMs(process.cpuUsage(c0)));
      if (answer.statusCode !== 200) {
        problems.push(`${request.kind} ${key}: status ${answer.statusCode} ${answer.body.slice(0, 200)}`);
      } else if (request.kind === 'first') {
        firstBodies.set(key, answer.body);
      } else if (firstBodies.has(key) && firstBodies.get(key) !== answer.body) {
        problems.push(`replay ${key}: body differs from the first answer`);
      }
    }
    const batchCpu = cpuMs(process.cpuUsage(batchCpu0));
    return { kind: request.kind, latencyMs, cpuMs: cpu, cpuPerRequestMs: batchCpu / Math.max(1, events.length), problems };
  };

  process.on('message', (message: BatchRequest) => {
    runBatch(message).then(
      (result) => send({ type: 'batch', result }),
      (error: unknown) => send({ type: 'error', message: String((error as Error)?.stack ?? error) }),
    ).catch(() => process.exit(1));
  });
  process.on('disconnect', () => process.exit(0));
  await send({ type: 'ready', loadMs });
}

async function main(): Promise<void> {
  const [mode, bundle, key, firstRequestProfile] = process.argv.slice(2);
  try {
    if (mode === 'cold' || mode === 'load') {
      await (mode === 'cold' ? cold(bundle, key, firstRequestProfile) : load(bundle));
      process.disconnect();
    } else if (mode === 'warm') {
      await warm(bundle);
    } else {
      throw new Error(`worker: unknown mode "${mode}"`);
    }
  } catch (error) {
    await send({ type: 'error', message: String((error as Error)?.stack ?? error) });
    process.exit(1);
  }
}

void main();
