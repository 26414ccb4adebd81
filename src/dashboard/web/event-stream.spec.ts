import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { EventStream, openEventStream, StreamState } from './event-stream';
import type { SseMessage } from './sse-parser';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

/** A real HTTP server answering the reader's requests with `handler` (n: 1 for the first request). */
async function serve(
  handler: Handler,
): Promise<{ url: string; server: Server; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    handler(req, res, requests.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/events`, server, requests };
}

const sse = (res: ServerResponse) =>
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });

function until<T>(check: () => T | undefined, what: string, timeoutMs = 5_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const probe = () => {
      const value = check();
      if (value !== undefined) return resolve(value);
      if (Date.now() - started > timeoutMs)
        return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(probe, 10);
    };
    probe();
  });
}

describe('openEventStream (fetch-based SSE reader) against a real HTTP server', () => {
  let server: Server | undefined;
  let stream: EventStream | undefined;

  afterEach(async () => {
    stream?.close();
    const open = server;
    server = undefined;
    if (!open) return;
    open.closeAllConnections();
    await new Promise((resolve) => open.close(resolve));
  });

  it('sends the key as a header, reads messages, and resumes with Last-Event-ID after a drop', async () => {
    const served = await serve((_req, res, n) => {
      sse(res);
      if (n === 1) {
        res.write('id: 1-0\nevent: submitted\ndata: {"n":1}\n\n');
        res.end('id: 2-0\nevent: processing\ndata: {"n":2}\n\n');
      } else {
        res.write(': hello\n\nid: 3-0\nevent: completed\ndata: {"n":3}\n\n');
      }
    });
    server = served.server;
    const messages: SseMessage[] = [];
    stream = openEventStream({
      url: served.url,
      headers: () => ({ authorization: 'Bearer secret-key' }),
      onMessage: (m) => messages.push(m),
      initialBackoffMs: 10,
    });
    await until(() => (messages.length === 3 ? true : undefined), 'three messages');
    expect(messages.map((m) => [m.id, m.event, m.data])).toEqual([
      ['1-0', 'submitted', '{"n":1}'],
      ['2-0', 'processing', '{"n":2}'],
      ['3-0', 'completed', '{"n":3}'],
    ]);
    const [first, second] = served.requests;
    expect(first.headers.authorization).toBe('Bearer secret-key');
    expect(first.headers.accept).toBe('text/event-stream');
    expect(first.headers['last-event-id']).toBeUndefined();
    expect(second.headers['last-event-id']).toBe('2-0');
    expect(second.headers.authorization).toBe('Bearer secret-key');
    expect(first.url).toBe('/events');
    expect(stream.lastEventId).toBe('3-0');
  });

  it('stops on a 404 or a 401 without retrying, reporting the status and the error code', async () => {
    for (const [status, code] of [
      [404, 'ROUTE.NOT_FOUND'],
      [401, 'AUTH.UNAUTHORIZED'],
    ] as const) {
      const served = await serve((_req, res) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ statusCode: status, code }));
      });
      server = served.server;
      const states: StreamState[] = [];
      stream = openEventStream({
        url: served.url,
        onMessage: () => undefined,
        onState: (s) => states.push(s),
        initialBackoffMs: 5,
      });
      await until(() => states.find((s) => s.state === 'refused'), 'refusal');
      // Long enough for several retries, had there been any.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(served.requests).toHaveLength(1);
      expect(states.find((s) => s.state === 'refused')).toEqual({ state: 'refused', status, code });
      stream.close();
      server.closeAllConnections();
      await new Promise((resolve) => served.server.close(resolve));
      server = undefined;
    }
  });

  it('retries a 5xx with a growing backoff, then reads the stream', async () => {
    const served = await serve((_req, res, n) => {
      if (n <= 3) {
        res.writeHead(503).end();
        return;
      }
      sse(res);
      res.write('data: ok\n\n');
    });
    server = served.server;
    const states: StreamState[] = [];
    const messages: SseMessage[] = [];
    stream = openEventStream({
      url: served.url,
      onMessage: (m) => messages.push(m),
      onState: (s) => states.push(s),
      initialBackoffMs: 20,
      random: () => 1,
    });
    await until(() => (messages.length ? true : undefined), 'the message');
    const delays = states.flatMap((s) => (s.state === 'retrying' ? [s.inMs] : []));
    expect(delays).toEqual([20, 40, 80]);
    expect(states.at(-1)).toEqual({ state: 'open' });
  });

  it('does not reconnect after a normal end when told not to (a finished job)', async () => {
    const served = await serve((_req, res) => {
      sse(res);
      res.end('event: completed\ndata: {}\n\n');
    });
    server = served.server;
    const states: StreamState[] = [];
    let terminal = false;
    stream = openEventStream({
      url: served.url,
      onMessage: (m) => {
        if (m.event === 'completed') terminal = true;
      },
      onState: (s) => states.push(s),
      reconnectOnEnd: () => !terminal,
      initialBackoffMs: 5,
    });
    await until(() => states.find((s) => s.state === 'closed'), 'closed');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(served.requests).toHaveLength(1);
  });

  it('drops a stream that goes silent and reopens it', async () => {
    const served = await serve((_req, res, n) => {
      sse(res);
      if (n === 1)
        res.write('id: 1\ndata: first\n\n'); // then nothing, not even a comment
      else res.write('data: second\n\n');
    });
    server = served.server;
    const messages: SseMessage[] = [];
    stream = openEventStream({
      url: served.url,
      onMessage: (m) => messages.push(m),
      idleTimeoutMs: 100,
      initialBackoffMs: 5,
    });
    await until(() => (messages.length === 2 ? true : undefined), 'the second message');
    expect(served.requests[1].headers['last-event-id']).toBe('1');
  });

  it('close() ends the request and stops reconnecting', async () => {
    const served = await serve((_req, res) => {
      sse(res);
      res.write(': open\n\n');
    });
    server = served.server;
    const states: StreamState[] = [];
    stream = openEventStream({
      url: served.url,
      onMessage: () => undefined,
      onState: (s) => states.push(s),
      initialBackoffMs: 5,
    });
    await until(() => states.find((s) => s.state === 'open'), 'open');
    const closedOnServer = new Promise((resolve) => served.requests[0].on('close', resolve));
    stream.close();
    await closedOnServer;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(served.requests).toHaveLength(1);
    expect(states.at(-1)).toEqual({ state: 'closed' });
  });
});
