import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  | { kind: 'pass' }
  /** Answer with this status and error code: an S3-style XML body, or a JSON one (DynamoDB's `__type`). */
  | { kind: 'status'; status: number; code: string; format?: 'xml' | 'json' }
  /** Hold the request this long before passing it on (a slow server). */
  | { kind: 'delay'; ms: number }
  /** Drop the connection without answering. */
  | { kind: 'reset' }
  /** Pass the request on, let the server answer, and drop the connection instead of relaying the answer. */
  | { kind: 'drop-response' };

/**
 * A reverse proxy in front of a real server (s3rver, dynalite) that injects faults the real server cannot
 * produce: 500s, 503 SlowDown, throttling, slowness past the client's timeout, dropped connections, answers lost
 * after the server applied the request. It also records what the client
 * sent, for what the real server does not echo back (s3rver stores no server-side encryption).
 */
export class FaultProxy {
  fault: Fault = { kind: 'pass' };
  /** Faults for the next requests, one each, before `fault` applies again. */
  next: Fault[] = [];
  requests = 0;
  /** Every request as the client sent it (method, path, headers): what the SDK really asked S3 for. */
  readonly sent: Array<{ method: string; path: string; headers: IncomingHttpHeaders }> = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly target: string) {}

  async start(): Promise<string> {
    const target = new URL(this.target);
    this.server = createServer((req, res) => {
      this.requests++;
      this.sent.push({ method: req.method ?? '', path: req.url ?? '', headers: { ...req.headers } });
      const fault = this.next.shift() ?? this.fault;
      if (fault.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      if (fault.kind === 'status') {
        req.resume();
        if (fault.format === 'json') {
          res.writeHead(fault.status, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(
            JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${fault.code}`, message: 'injected' }),
          );
          return;
        }
        res.writeHead(fault.status, { 'content-type': 'application/xml' });
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.code}</Code><Message>injected</Message><RequestId>fault</RequestId></Error>`,
        );
        return;
      }
      const forward = () => {
        const upstream = request(
          {
            host: target.hostname,
            port: target.port,
            method: req.method,
            path: req.url,
            headers: req.headers,
          },
          (up) => {
            if (fault.kind === 'drop-response') {
              // The server has applied the request; its answer is lost on the way back.
              up.resume();
              up.on('end', () => req.socket.destroy());
              return;
            }
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          },
        );
        upstream.on('error', () => res.destroy());
        req.pipe(upstream);
      };
      if (fault.kind === 'delay') {
        req.pause();
        setTimeout(() => {
          if (!req.socket.destroyed) {
            req.resume();
            forward();
          }
        }, fault.ms).unref();
      } else forward();
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** A loopback URL where nothing listens: connection refused. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
