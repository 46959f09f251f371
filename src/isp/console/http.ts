/**
 * The HTTP side of the status address: the JSON document (/status), the web console (a
 * static page, script and style shipped in the package, served as they are), live updates as
 * Server-Sent Events (/events), Prometheus metrics (/metrics), and the one change the console
 * can make (POST /sessions/ID/disconnect, see access.ts). The shell owns the clock: every
 * `intervalMs` it has the server sample its rates and pushes the result to the open streams.
 */
import fs from 'node:fs';
import type http from 'node:http';
import { fileURLToPath } from 'node:url';
import { checkChange } from './access.js';
import type { RatePoint } from './rate-sampler.js';
import { METRICS_CONTENT_TYPE } from '../metrics.js';

export interface ConsoleSource {
  /** The /status document. */
  status(): unknown;
  /** The /metrics text. */
  metrics(): string;
  /** Ends session `id` (LCP Terminate-Request); false if there is no such session. */
  disconnect(id: number): boolean;
  /** Samples the live sessions' byte counters at `now`. */
  sample(now: number): RatePoint;
  history(): RatePoint[];
}

export interface ConsoleOptions {
  source: ConsoleSource;
  /** isp.conf console-token: lets changes come from off loopback. */
  token?: string;
  intervalMs?: number;
  /** Event streams open at once; more are answered 503. */
  maxStreams?: number;
}

/** An event stream whose client does not read is closed once this much waits for it. */
const STREAM_BACKLOG = 1024 * 1024;
/** Largest request body read (a disconnect has none worth reading). */
const MAX_BODY = 4096;

const STATIC: Record<string, { file: string; type: string }> = {
  '/console': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
};

/**
 * The static files: beside this module when run from the sources' layout, else in the
 * package's src/isp/console/static (dist/src/isp/console/http.js is four levels below the
 * package root; tsc does not copy them and there is no build step for them).
 */
function staticDir(): string {
  const candidates = [new URL('./static/', import.meta.url), new URL('../../../../src/isp/console/static/', import.meta.url)];
  for (const c of candidates) {
    const dir = fileURLToPath(c);
    if (fs.existsSync(`${dir}index.html`)) return dir;
  }
  return fileURLToPath(candidates[1]!);
}

export class ConsoleHttp {
  private readonly streams = new Set<http.ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private readonly files = new Map<string, Buffer>();
  private readonly dir = staticDir();

  constructor(private readonly opts: ConsoleOptions) {}

  start(): void {
    const every = this.opts.intervalMs ?? 1000;
    this.tick();
    this.timer = setInterval(() => this.tick(), every);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    for (const s of this.streams) s.end();
    this.streams.clear();
  }

  get streamCount(): number {
    return this.streams.size;
  }

  private tick(): void {
    const point = this.opts.source.sample(Date.now());
    if (!this.streams.size) return;
    const msg = event('tick', { point, status: this.opts.source.status() });
    for (const s of this.streams) this.send(s, msg);
  }

  private send(s: http.ServerResponse, msg: string): void {
    if (s.writableLength > STREAM_BACKLOG) {
      this.streams.delete(s);
      s.destroy();
      return;
    }
    s.write(msg);
  }

  handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://status.invalid');
    const path = url.pathname;
    const m = /^\/sessions\/(\d{1,9})\/disconnect$/.exec(path);
    if (m) return this.disconnect(req, res, Number(m[1]));
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    // `/` stays the JSON document for programs; a browser asking for HTML gets the console.
    const wantsHtml = path === '/' && /\btext\/html\b/.test(req.headers.accept ?? '');
    if (path === '/status' || (path === '/' && !wantsHtml)) return json(res, 200, this.opts.source.status());
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'cache-control': 'no-store' }).end(this.opts.source.metrics());
      return;
    }
    if (path === '/events' && req.method === 'GET') return this.openStream(req, res);
    const file = STATIC[wantsHtml ? '/console' : path];
    if (file) return this.serveFile(res, file);
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  }

  private serveFile(res: http.ServerResponse, f: { file: string; type: string }): void {
    let body = this.files.get(f.file);
    if (!body) {
      try {
        body = fs.readFileSync(`${this.dir}${f.file}`);
      } catch {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`console file ${f.file} missing from ${this.dir}\n`);
        return;
      }
      this.files.set(f.file, body);
    }
    res.writeHead(200, {
      'content-type': f.type,
      'cache-control': 'no-cache',
      // Nothing from elsewhere: no CDN, no inline script, and no framing by other sites.
      'content-security-policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
    }).end(body);
  }

  private openStream(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.streams.size >= (this.opts.maxStreams ?? 16)) {
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '10' }).end('too many console streams\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    this.streams.add(res);
    req.socket.setNoDelay(true);
    res.on('close', () => this.streams.delete(res));
    this.send(res, event('history', { points: this.opts.source.history(), status: this.opts.source.status() }));
  }

  private disconnect(req: http.IncomingMessage, res: http.ServerResponse, id: number): void {
    const verdict = checkChange({ method: req.method ?? '', remoteAddress: req.socket.remoteAddress, headers: req.headers }, this.opts.token);
    if (!verdict.ok) {
      req.resume();
      json(res, verdict.status, { error: verdict.why });
      return;
    }
    let size = 0;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_BODY) req.destroy();
    });
    req.on('end', () => {
      const done = this.opts.source.disconnect(id);
      json(res, done ? 202 : 404, done ? { disconnecting: id } : { error: `no session ${id}` });
    });
  }
}

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(`${JSON.stringify(body, null, 2)}\n`);
}
