/** One dispatched Server-Sent Events message. */
export interface SseMessage {
  /** The last event id in force when the message was dispatched (the `id:` field, sticky). */
  id: string | undefined;
  /** `event:` field, or "message". */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
}

/**
 * The event-stream format as the HTML standard parses it (section "Event stream
 * interpretation"): lines end with CRLF, LF or CR (a CRLF may be split across
 * chunks), `:` starts a comment, one space after the colon is dropped, an empty line
 * dispatches, an `id` containing NUL is ignored, `retry` takes digits only. Text is
 * fed already decoded (TextDecoder with `stream: true` keeps characters whole).
 */
export class SseParser {
  private buffer = '';
  private skipLeadingLf = false;
  private started = false;
  private data: string[] = [];
  private eventType = '';
  private lastId: string | undefined;
  /** The server's `retry:` advice in ms, if it sent one. */
  retryMs: number | undefined;

  constructor(
    private readonly dispatch: (message: SseMessage) => void,
    lastEventId?: string,
  ) {
    this.lastId = lastEventId;
  }

  get lastEventId(): string | undefined {
    return this.lastId;
  }

  push(chunk: string): void {
    let text = chunk;
    if (this.skipLeadingLf && text.length > 0) {
      if (text.startsWith('\n')) text = text.slice(1);
      this.skipLeadingLf = false;
    }
    text = this.buffer + text;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let pos = 0;
    for (;;) {
      const lf = text.indexOf('\n', pos);
      const cr = text.indexOf('\r', pos);
      if (lf < 0 && cr < 0) break;
      let end: number;
      let next: number;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        end = cr;
        if (cr + 1 < text.length) {
          next = text[cr + 1] === '\n' ? cr + 2 : cr + 1;
        } else {
          next = cr + 1;
          // The LF of this CRLF may be the next chunk's first character.
          this.skipLeadingLf = true;
        }
      } else {
        end = lf;
        next = lf + 1;
      }
      this.line(text.slice(pos, end));
      pos = next;
    }
    this.buffer = text.slice(pos);
  }

  private line(line: string): void {
    if (line === '') {
      this.flush();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
      // Unknown fields are ignored.
    }
  }

  private flush(): void {
    const event = this.eventType || 'message';
    const data = this.data;
    this.data = [];
    this.eventType = '';
    if (data.length === 0) return;
    this.dispatch({ id: this.lastId, event, data: data.join('\n') });
  }
}
