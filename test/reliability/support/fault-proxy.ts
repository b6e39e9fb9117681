/**
 * A pass-through HTTP proxy in front of the Connect simulator that can answer
 * what no AWS service answers but a network path does: a load balancer's HTML
 * 502 or 504, a 200 whose body is not JSON, a 200 without a ContactId. The
 * simulator speaks the service's own faults; this adds the foreign ones.
 * Listens on 127.0.0.1 only.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RawFault {
  readonly status: number;
  readonly body: string;
  readonly contentType?: string;
  /** Forward the request to the simulator first (the call is placed), then answer this instead. */
  readonly forward: boolean;
  /** How many requests get it. @default 1 */
  readonly count?: number;
}

export class FaultProxy {
  static async start(target: string): Promise<FaultProxy> {
    const proxy = new FaultProxy(new URL(target));
    await new Promise<void>((resolve) => proxy.server.listen({ port: 0, host: '127.0.0.1' }, resolve));
    return proxy;
  }

  /** Requests that got a raw fault. */
  injected = 0;
  private readonly faults: Array<{ fault: RawFault; remaining: number }> = [];
  private readonly server: http.Server;

  private constructor(private readonly target: URL) {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  inject(fault: RawFault): void {
    this.faults.push({ fault, remaining: fault.count ?? 1 });
  }

  /** Drops the faults not used up; returns how many requests they were for. */
  clear(): number {
    const unused = this.pending;
    this.faults.length = 0;
    return unused;
  }

  get pending(): number {
    return this.faults.reduce((sum, f) => sum + f.remaining, 0);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const head = this.faults[0];
    const fault = head?.fault;
    if (head) {
      head.remaining -= 1;
      if (head.remaining <= 0) this.faults.shift();
      this.injected += 1;
    }
    const answerRaw = (): void => {
      if (!fault || res.destroyed) return;
      res.writeHead(fault.status, { 'content-type': fault.contentType ?? 'text/html', 'content-length': Buffer.byteLength(fault.body) });
      res.end(fault.body);
    };
    if (fault && !fault.forward) {
      req.resume();
      req.on('end', answerRaw);
      return;
    }
    const upstream = http.request({
      host: this.target.hostname,
      port: this.target.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: this.target.host },
    }, (upstreamRes) => {
      if (fault) {
        upstreamRes.resume();
        upstreamRes.on('end', answerRaw);
        return;
      }
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      upstreamRes.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }
}
