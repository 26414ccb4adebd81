import { SseMessage, SseParser } from './sse-parser';

function parse(
  chunks: string[],
  lastEventId?: string,
): { messages: SseMessage[]; parser: SseParser } {
  const messages: SseMessage[] = [];
  const parser = new SseParser((m) => messages.push(m), lastEventId);
  for (const chunk of chunks) parser.push(chunk);
  return { messages, parser };
}

describe('SseParser', () => {
  it('dispatches a message per blank line with its id, event name and data', () => {
    const { messages, parser } = parse([
      'id: 1-0\nevent: submitted\ndata: {"a":1}\n\n',
      'id: 2-0\nevent: completed\ndata: {"b":2}\n\n',
    ]);
    expect(messages).toEqual([
      { id: '1-0', event: 'submitted', data: '{"a":1}' },
      { id: '2-0', event: 'completed', data: '{"b":2}' },
    ]);
    expect(parser.lastEventId).toBe('2-0');
  });

  it('handles CRLF, CR and LF line ends, even a CRLF split across chunks', () => {
    const { messages } = parse(['data: a\r', '\ndata: b\r\r', 'data: c\n', '\n']);
    expect(messages).toEqual([
      { id: undefined, event: 'message', data: 'a\nb' },
      { id: undefined, event: 'message', data: 'c' },
    ]);
  });

  it('keeps lines whole across chunk boundaries at any position', () => {
    const text = ': keep-alive\n\nid: 7-1\nevent: failed\ndata: {"error":"x: y"}\n\n';
    for (let cut = 1; cut < text.length; cut++) {
      const { messages } = parse([text.slice(0, cut), text.slice(cut)]);
      expect(messages).toEqual([{ id: '7-1', event: 'failed', data: '{"error":"x: y"}' }]);
    }
  });

  it('ignores comments, unknown fields and an id with NUL; drops one space after the colon only', () => {
    const { messages } = parse([
      ': comment\nfoo: bar\nid: 3\nid: bad\0id\ndata:  two spaces\ndata\n\n',
    ]);
    expect(messages).toEqual([{ id: '3', event: 'message', data: ' two spaces\n' }]);
  });

  it('does not dispatch an event without data, and resets the event name after each dispatch', () => {
    const { messages, parser } = parse(['event: snapshot\nid: 9\n\n', 'data: x\n\n']);
    expect(messages).toEqual([{ id: '9', event: 'message', data: 'x' }]);
    expect(parser.lastEventId).toBe('9');
  });

  it('strips a leading byte order mark and reads retry advice', () => {
    const { messages, parser } = parse(['\uFEFFretry: 2500\ndata: x\n\nretry: soon\n']);
    expect(messages).toEqual([{ id: undefined, event: 'message', data: 'x' }]);
    expect(parser.retryMs).toBe(2500);
  });

  it('keeps the id it resumed from until the server sends another', () => {
    const { messages } = parse(['data: x\n\n'], '5-0');
    expect(messages[0].id).toBe('5-0');
  });
});
