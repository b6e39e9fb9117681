/**
 * A counting HTTP proxy on 127.0.0.1 in front of DynamoDB Local: the replay
 * check counts the round trips a handler makes, by operation
 * (`X-Amz-Target`, e.g. DynamoDB_20120810.PutItem), without touching the
 * handler, and how long DynamoDB Local took over them (from the last byte of
 * the request passed on to the last byte of its answer). Requests are passed
 * on unchanged (the SigV4 signature covers the Host header, which DynamoDB
 * Local does not check).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { summarize } from './stats';

/** A position in what the proxy has seen (`snapshot`), to measure a batch of requests from (`since`). */
export interface ProxySnapshot {
  /** Requests seen, by operation. */
  readonly counts: ReadonlyMap<string, number>;
  /** Requests timed (answered), by operation. */
  readonly timed: ReadonlyMap<string, number>;
}

/** What the requests since a snapshot made: round trips by operation, and DynamoDB Local's time over each. */
export interface ProxyDelta {
  readonly operations: ReadonlyMap<string, number>;
  /** Milliseconds DynamoDB Local took over each answered request, by operation. */
  readonly serverMs: ReadonlyMap<string, readonly number[]>;
}

/** Several deltas as one (batches of one lane, run between other lanes' batches). */
export function mergeDeltas(deltas: readonly ProxyDelta[]): ProxyDelta {
  const operations = new Map<string, number>();
  const serverMs = new Map<string, number[]>();
  for (const delta of deltas) {
    for (const [operation, count] of delta.operations) operations.set(operation, (operations.get(operation) ?? 0) + count);
    for (const [operation, times] of delta.serverMs) {
      const all = serverMs.get(operation) ?? [];
      all.push(...times);
      serverMs.set(operation, all);
    }
  }
  return { operations, serverMs };
}

/**
 * DynamoDB Local's time over one of `requests` requests: the median time of
 * each operation, times how many of it the requests made each, summed (a
 * median: DynamoDB Local's JVM pauses now and then, and one pause would move
 * a mean of 40 requests).
 */
export function dynamodbMsPerRequest(delta: ProxyDelta, requests: number): number {
  let ms = 0;
  for (const times of delta.serverMs.values()) {
    if (times.length > 0) ms += summarize(times).median * (times.length / requests);
  }
  return ms;
}

export class CountingProxy {
  static async start(target: string): Promise<CountingProxy> {
    const proxy = new CountingProxy(new URL(target));
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen({ port: 0, host: '127.0.0.1' }, () => resolve());
    });
    return proxy;
  }

  /** Operation → number of requests seen. */
  readonly counts = new Map<string, number>();
  /** Operation → milliseconds DynamoDB Local took over each request, in order. */
  readonly serverMs = new Map<string, number[]>();
  private readonly server: http.Server;
  private readonly agent = new http.Agent({ keepAlive: true });

  private constructor(private readonly target: URL) {
    this.server = http.createServer((req, res) => {
      const operation = String(req.headers['x-amz-target'] ?? `${req.method} ${req.url}`).replace(/^DynamoDB_\d+\./, '');
      this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
      const upstream = http.request({
        host: this.target.hostname,
        port: this.target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent: this.agent,
      }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.on('end', () => {
          const ms = Number(process.hrtime.bigint() - sent) / 1e6;
          const times = this.serverMs.get(operation) ?? [];
          times.push(ms);
          this.serverMs.set(operation, times);
        });
        answer.pipe(res);
      });
      let sent = process.hrtime.bigint();
      upstream.on('finish', () => { sent = process.hrtime.bigint(); });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
  }

  /** `http://127.0.0.1:PORT` */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  snapshot(): ProxySnapshot {
    return {
      counts: new Map(this.counts),
      timed: new Map([...this.serverMs].map(([operation, times]) => [operation, times.length])),
    };
  }

  /** What the requests since `before` made: round trips by operation, DynamoDB Local's time over each. */
  since(before: ProxySnapshot): ProxyDelta {
    const operations = new Map<string, number>();
    for (const [operation, count] of this.counts) {
      const delta = count - (before.counts.get(operation) ?? 0);
      if (delta > 0) operations.set(operation, delta);
    }
    const serverMs = new Map<string, number[]>();
    for (const [operation, times] of this.serverMs) {
      const since = times.slice(before.timed.get(operation) ?? 0);
      if (since.length > 0) serverMs.set(operation, since);
    }
    return { operations, serverMs };
  }

  stop(): Promise<void> {
    this.agent.destroy();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
