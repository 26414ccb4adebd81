import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';

/** One request the receiver got. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, as text. */
  body: string;
  /** Date.now() when the request was complete. */
  at: number;
}

/** What to answer: a status with headers and body, or 'hang' to never answer. */
export type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/**
 * A real HTTP server (node:http) on 127.0.0.1 that records every request and
 * answers by path: `on(path, replies)` sets the replies for successive requests to
 * that path (the last one repeats); unknown paths get 200.
 */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly replies = new Map<string, Reply[]>();
  private readonly hanging = new Set<ServerResponse>();
  private readonly server: Server;
  port = 0;

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const path = req.url ?? '/';
        this.requests.push({
          method: req.method ?? '',
          path,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        });
        const queue = this.replies.get(path);
        const reply: Reply = (queue && queue.length > 1 ? queue.shift() : queue?.[0]) ?? {
          status: 200,
        };
        if (reply === 'hang') {
          this.hanging.add(res);
          res.once('close', () => this.hanging.delete(res));
          return;
        }
        res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
        res.end(reply.body ?? '');
      });
    });
  }

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', () => resolve()));
    const address = receiver.server.address();
    receiver.port = typeof address === 'object' && address ? address.port : 0;
    return receiver;
  }

  /** `http://127.0.0.1:<port><path>` */
  url(path: string, host = '127.0.0.1'): string {
    return `http://${host}:${this.port}${path}`;
  }

  on(path: string, ...replies: Reply[]): void {
    this.replies.set(path, replies);
  }

  /** The requests made to `path`, in order. */
  to(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
