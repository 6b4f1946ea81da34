/**
 * A Server-Sent Events parser, as the WHATWG HTML standard's "event stream interpretation":
 * lines end with CRLF, LF or CR (a CR at the end of one chunk may meet its LF in the next),
 * `:` lines are comments, `data` lines join with "\n", a blank line dispatches.
 */
export interface SseEvent {
  /** `event:` field, `message` when absent. */
  type: string;
  data: string;
  /** The last event id seen so far (the spec's "last event ID buffer"), '' when none. */
  lastEventId: string;
}

export interface SseHandlers {
  event: (e: SseEvent) => void;
  /** A comment line's text (after the colon and one optional space): heartbeats. */
  comment?: (text: string) => void;
  /** A valid `retry:` field, in milliseconds. */
  retry?: (ms: number) => void;
}

export class SseParser {
  private buffer = '';
  private afterCR = false;
  private started = false;
  private type = '';
  private data = '';
  private hasData = false;
  lastEventId: string;

  constructor(
    private readonly on: SseHandlers,
    lastEventId = '',
  ) {
    this.lastEventId = lastEventId;
  }

  /** Feeds decoded text (decode with a streaming TextDecoder so characters are never split). */
  push(chunk: string): void {
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    // The LF of a CRLF split across chunks is not a second line end.
    if (this.afterCR && text.startsWith('\n')) text = text.slice(1);
    this.afterCR = false;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.line(this.buffer + text.slice(start, i));
      this.buffer = '';
      if (c === 13) {
        if (i + 1 === text.length) this.afterCR = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    this.buffer += text.slice(start);
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    const colon = line.indexOf(':');
    if (colon === 0) {
      this.on.comment?.(line.slice(line.charCodeAt(1) === 32 ? 2 : 1));
      return;
    }
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case 'event':
        this.type = value;
        break;
      case 'data':
        this.data += this.hasData ? `\n${value}` : value;
        this.hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.on.retry?.(Number(value));
        break;
      // Any other field is ignored, as the standard says.
    }
  }

  private dispatch(): void {
    const { type, data, hasData } = this;
    this.type = '';
    this.data = '';
    this.hasData = false;
    if (!hasData) return;
    this.on.event({ type: type || 'message', data, lastEventId: this.lastEventId });
  }
}
