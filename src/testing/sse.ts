import { request as httpRequest, type IncomingMessage } from 'node:http';
import { SseParser } from '../client/sse.js';

/** A Server-Sent Events client for tests of the watch API (parsed by stratus wait's own parser): frames as they arrive, bounded waits. */
export interface SseFrame {
  /** `message` when the frame names none; `comment` for a `: …` line (heartbeats). */
  event: string;
  data: string;
  id?: string;
  retry?: number;
}

export class SseStream {
  readonly frames: SseFrame[] = [];
  ended = false;
  private waiters: Array<() => void> = [];
  private constructor(
    readonly status: number,
    readonly headers: Headers,
    private res: IncomingMessage,
    readonly body: string,
  ) {}

  /**
   * Opens `url` on a connection of its own (no keep-alive pool: a stream's connection is never
   * reused); a non-200 answer is read whole (`body`) and no stream is kept.
   */
  static open(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, { headers, agent: false }, (res) => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers))
          if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
        if (res.statusCode !== 200) {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
          });
          res.on('end', () => {
            const s = new SseStream(res.statusCode ?? 0, h, res, text);
            s.ended = true;
            resolve(s);
          });
          res.on('error', reject);
          return;
        }
        const s = new SseStream(200, h, res, '');
        s.read();
        resolve(s);
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** Stops reading (the socket fills: a slow consumer) or goes on. */
  pause(): void {
    this.res.pause();
  }
  resume(): void {
    this.res.resume();
  }

  private read(): void {
    const parser = new SseParser({
      event: (e) => this.push({ event: e.type, data: e.data, id: e.lastEventId || undefined }),
      comment: (text) => this.push({ event: 'comment', data: text.trim() }),
      retry: (ms) => this.push({ event: 'message', data: '', retry: ms }),
    });
    this.res.setEncoding('utf8');
    this.res.on('data', (chunk: string) => parser.push(chunk));
    const done = () => {
      this.ended = true;
      this.notify();
    };
    this.res.on('end', done);
    this.res.on('close', done);
    this.res.on('error', done);
  }

  private push(frame: SseFrame): void {
    this.frames.push(frame);
    this.notify();
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }

  /** The frames that are events (not comments), their data parsed as JSON. */
  events(type?: string): Array<{ event: string; id?: string; data: any }> {
    return this.frames
      .filter((f) => f.event !== 'comment' && f.data !== '' && (type === undefined || f.event === type))
      .map((f) => ({ event: f.event, id: f.id, data: JSON.parse(f.data) }));
  }

  /** Waits (at most `ms`) until `pred` holds over the frames so far. */
  async until(what: string, pred: (s: SseStream) => boolean, ms = 20000): Promise<void> {
    const end = Date.now() + ms;
    while (!pred(this)) {
      if (this.ended) throw new Error(`stream ended before ${what}`);
      const left = end - Date.now();
      if (left <= 0)
        throw new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(this.frames).slice(0, 2000)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Waits for an event of `type` matching `pred`; returns it. */
  async event(type: string, pred: (data: any) => boolean = () => true, ms = 20000): Promise<any> {
    let found: any;
    await this.until(
      `${type} event`,
      () => {
        found = this.events(type).find((e) => pred(e.data));
        return found !== undefined;
      },
      ms,
    );
    return found.data;
  }

  close(): void {
    this.res.destroy();
  }
}
