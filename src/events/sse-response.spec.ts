import type { FastifyReply } from 'fastify';
import { PassThrough } from 'node:stream';
import { StreamEntry } from './job-event';
import { MAX_UNREAD_BYTES, SseResponse } from './sse-response';

/** A reply whose socket nobody reads: what it is sent stays buffered in it. */
function unreadReply(): { reply: FastifyReply; raw: PassThrough & { headers?: unknown } } {
  const raw = Object.assign(new PassThrough({ highWaterMark: 1024 }), {
    headers: undefined,
    writeHead(this: { headers: unknown }, _status: number, headers: unknown) {
      this.headers = headers;
      return this;
    },
  });
  const reply = { raw, hijack: () => undefined, getHeaders: () => ({}) } as unknown as FastifyReply;
  return { reply, raw };
}

const entry = (n: number): StreamEntry => ({
  id: `${1795820000000 + n}-0`,
  event: {
    event: 'submitted',
    job_id: '3f0c9a4e-8b7e-4d1a-9c55-2b1f6f0e7a11',
    job_type: 'send_email',
    priority: 'low',
    ts: 1795820000 + n,
  },
});

describe('SseResponse', () => {
  it('writes id, event and data per entry', () => {
    const { reply, raw } = unreadReply();
    const sse = new SseResponse(reply, () => true);
    sse.deliver(entry(1));
    const text = String(raw.read());
    expect(text).toBe(
      `: connected\n\nid: 1795820000001-0\nevent: submitted\ndata: ${JSON.stringify(entry(1).event)}\n\n`,
    );
    expect(raw.headers).toMatchObject({ 'content-type': 'text/event-stream; charset=utf-8' });
  });

  it('drops a client that does not read once it leaves too much unread, and says so', () => {
    const { reply, raw } = unreadReply();
    const sse = new SseResponse(reply, () => true);
    let closed = 0;
    sse.onClose = () => closed++;
    let delivered = 0;
    while (sse.deliver(entry(delivered))) delivered++;
    expect(raw.destroyed).toBe(true);
    expect(closed).toBe(1);
    // It got about MAX_UNREAD_BYTES worth of events, not more.
    expect(delivered * 200).toBeGreaterThan(MAX_UNREAD_BYTES / 2);
    expect(delivered * 100).toBeLessThan(MAX_UNREAD_BYTES * 2);
    expect(sse.deliver(entry(0))).toBe(false);
  });

  it('a client that reads is never dropped, and gets every event in order', async () => {
    const { reply, raw } = unreadReply();
    const sse = new SseResponse(reply, () => true);
    const chunks: Buffer[] = [];
    raw.on('data', (chunk: Buffer) => chunks.push(chunk));
    for (let n = 0; n < 5_000; n++) {
      expect(sse.deliver(entry(n))).toBe(true);
      // The reader runs between bursts of events, as a socket's does.
      if (n % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(raw.destroyed).toBe(false);
    const received = Buffer.concat(chunks).toString();
    const ids = [...received.matchAll(/^id: (\d+)-0$/gm)].map((m) => Number(m[1]) - 1795820000000);
    expect(ids).toEqual(Array.from({ length: 5_000 }, (_, n) => n));
  });

  it('holds events back while the socket is backed up and writes them as one chunk on drain', async () => {
    const { reply, raw } = unreadReply();
    const sse = new SseResponse(reply, () => true);
    const writes: number[] = [];
    const write = raw.write.bind(raw);
    raw.write = ((chunk: Buffer, ...rest: never[]) => {
      writes.push(chunk.length);
      return write(chunk, ...rest);
    }) as typeof raw.write;
    let n = 0;
    while (!raw.writableNeedDrain) sse.deliver(entry(n++));
    const before = writes.length;
    for (let i = 0; i < 50; i++) sse.deliver(entry(n++));
    expect(writes.length).toBe(before); // held, not written
    let received = '';
    raw.on('data', (chunk: Buffer) => (received += chunk.toString()));
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes.length).toBe(before + 1); // all 50 in one write
    expect(received.match(/^id: /gm)).toHaveLength(n);
  });
});
