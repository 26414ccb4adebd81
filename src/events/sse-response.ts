import type { FastifyReply } from 'fastify';
import { API_CSP, SECURITY_HEADERS } from '../security/security-headers';
import type { EventSink } from './event-hub';
import type { JobEvent, StreamEntry } from './job-event';

/**
 * Most bytes a listener may leave unread in its socket buffer. A client that does
 * not read is dropped rather than allowed to grow the process's memory.
 */
export const MAX_UNREAD_BYTES = 256 * 1024;

/**
 * One Server-Sent Events response: the reply is taken over from Fastify (it stays
 * open), so the headers Fastify's hooks would add are written here.
 */
export class SseResponse implements EventSink {
  private closed = false;
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
    return this.write(
      `id: ${entry.id}\nevent: ${entry.event.event}\ndata: ${JSON.stringify(entry.event)}\n\n`,
    );
  }

  /** A named event without an id (the per-job `snapshot`). */
  send(event: string, data: unknown): boolean {
    return this.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  ping(): void {
    this.write(': keep-alive\n\n');
  }

  close(): void {
    this.end();
  }

  private write(text: string): boolean {
    if (this.closed) return false;
    const raw = this.reply.raw;
    raw.write(text);
    if (raw.writableLength > MAX_UNREAD_BYTES) {
      raw.destroy(); // a client that does not read: dropped
      this.end();
      return false;
    }
    return true;
  }

  private end(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.reply.raw.destroyed) this.reply.raw.end();
    this.onClose?.();
  }
}
