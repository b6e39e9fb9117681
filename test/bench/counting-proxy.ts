/**
 * A counting HTTP proxy on 127.0.0.1 in front of DynamoDB Local: the replay
 * check counts the round trips a handler makes, by operation
 * (`X-Amz-Target`, e.g. DynamoDB_20120810.PutItem), without touching the
 * handler. Requests are passed on unchanged (the SigV4 signature covers the
 * Host header, which DynamoDB Local does not check).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

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
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
  }

  /** `http://127.0.0.1:PORT` */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Total requests seen so far. */
  total(): number {
    let sum = 0;
    for (const count of this.counts.values()) sum += count;
    return sum;
  }

  snapshot(): Map<string, number> {
    return new Map(this.counts);
  }

  /** Requests by operation since `before`. */
  since(before: Map<string, number>): Map<string, number> {
    const diff = new Map<string, number>();
    for (const [operation, count] of this.counts) {
      const delta = count - (before.get(operation) ?? 0);
      if (delta > 0) diff.set(operation, delta);
    }
    return diff;
  }

  stop(): Promise<void> {
    this.agent.destroy();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
