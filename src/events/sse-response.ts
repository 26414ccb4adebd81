import type { FastifyReply } from 'fastify';
import { API_CSP, SECURITY_HEADERS } from '../security/security-headers';
import type { EventSink } from './event-hub';
import type { JobEvent, StreamEntry } from './job-event';

/**
 * Most bytes a listener may leave unread (in its socket's buffer and held back for
 * it). A client that does not read is dropped rather than allowed to grow the
 * process's memory.
 */
export const MAX_UNREAD_BYTES = 256 * 1024;

const KEEP_ALIVE = Buffer.from(': keep-alive\n\n');

/**
 * Each stream entry framed once, for every listener: with a thousand listeners, a
 * string per listener per event (and Node's copy of it per socket write) was most
 * of the API's memory while a burst of events went out.
 */
const framed = new WeakMap<StreamEntry, Buffer>();

function frame(entry: StreamEntry): Buffer {
  let bytes = framed.get(entry);
  if (!bytes) {
    bytes = Buffer.from(
      `id: ${entry.id}\nevent: ${entry.event.event}\ndata: ${JSON.stringify(entry.event)}\n\n`,
    );
    framed.set(entry, bytes);
  }
  return bytes;
}

/**
 * One Server-Sent Events response: the reply is taken over from Fastify (it stays
 * open), so the headers Fastify's hooks would add are written here.
 */
export class SseResponse implements EventSink {
  private closed = false;
  /**
   * What waits for the socket to drain: references to the shared frames, written
   * as one chunk on 'drain'. Writing each event while the socket is backed up would
   * queue a chunk (and its bookkeeping, larger than a small event) per event.
   */
  private held: Buffer[] = [];
  private heldBytes = 0;
  onClose?: () => void;

  constructor(
    private readonly reply: FastifyReply,
    private readonly filter: (event: JobEvent) => boolean,
  ) {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      ...SECURITY_HEADERS,
      'content-security-policy': API_CSP,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Tell nginx-style proxies not to buffer the stream.
      'x-accel-buffering': 'no',
    });
    raw.write(': connected\n\n');
    raw.on('close', () => this.end());
  }

  accepts(event: JobEvent): boolean {
    return this.filter(event);
  }

  deliver(entry: StreamEntry): boolean {
    return this.write(frame(entry));
  }

  /** A named event without an id (the per-job `snapshot`). */
  send(event: string, data: unknown): boolean {
    return this.write(Buffer.from(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
  }

  ping(): void {
    this.write(KEEP_ALIVE);
  }

  close(): void {
    this.end();
  }

  private write(bytes: Buffer): boolean {
    if (this.closed) return false;
    const raw = this.reply.raw;
    if (this.heldBytes === 0 && !raw.writableNeedDrain) {
      raw.write(bytes);
      return true;
    }
    if (this.heldBytes === 0) raw.once('drain', this.flush);
    this.held.push(bytes);
    this.heldBytes += bytes.length;
    if (raw.writableLength + this.heldBytes > MAX_UNREAD_BYTES) {
      raw.destroy(); // a client that does not read: dropped
      this.end();
      return false;
    }
    return true;
  }

  private readonly flush = (): void => {
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    if (!this.closed) this.reply.raw.write(held.length === 1 ? held[0] : Buffer.concat(held));
  };

  private end(): void {
    if (this.closed) return;
    this.closed = true;
    this.held = [];
    this.heldBytes = 0;
    this.reply.raw.off('drain', this.flush);
    if (!this.reply.raw.destroyed) this.reply.raw.end();
    this.onClose?.();
  }
}
