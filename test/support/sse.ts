import { ClientRequest, IncomingMessage, request } from 'node:http';
import { waitFor } from './wait';

export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** A Server-Sent Events client for the tests: parses messages as they arrive. */
export class SseClient {
  readonly messages: SseMessage[] = [];
  status = 0;
  headers: IncomingMessage['headers'] = {};
  ended = false;
  private buffer = '';
  private req?: ClientRequest;

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    await new Promise<void>((resolve, reject) => {
      client.req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        client.status = res.statusCode ?? 0;
        client.headers = res.headers;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => client.take(chunk));
        res.on('end', () => (client.ended = true));
        res.on('close', () => (client.ended = true));
        resolve();
      });
      client.req.on('error', (error) => (client.status ? (client.ended = true) : reject(error)));
      client.req.end();
    });
    return client;
  }

  /** The messages with an `event:` field (not comments), data parsed. */
  get events(): { id?: string; event: string; data: Record<string, unknown> }[] {
    return this.messages
      .filter((m) => m.event !== undefined)
      .map((m) => ({
        id: m.id,
        event: m.event as string,
        data: JSON.parse(m.data ?? 'null') as Record<string, unknown>,
      }));
  }

  /** Raw text received so far (for bodies that are not a stream, e.g. errors). */
  get text(): string {
    return this.raw;
  }

  private raw = '';

  waitForEvents(
    predicate: (events: SseClient['events']) => boolean,
    what: string,
    timeoutMs = 20_000,
  ) {
    return waitFor(() => predicate(this.events), { what, timeoutMs, intervalMs: 10 });
  }

  close(): void {
    this.req?.destroy();
  }

  private take(chunk: string): void {
    this.raw += chunk;
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) !== -1) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const message: SseMessage = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) message.comment = line.slice(1).trim();
        const colon = line.indexOf(': ');
        if (colon <= 0) continue;
        const [field, value] = [line.slice(0, colon), line.slice(colon + 2)];
        if (field === 'id' || field === 'event' || field === 'data') message[field] = value;
      }
      this.messages.push(message);
    }
  }
}
