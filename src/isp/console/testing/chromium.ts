/**
 * Test aid: a headless Debian `chromium` driven over the DevTools protocol through
 * `--remote-debugging-pipe` (requests on fd 3, replies and events on fd 4, each a JSON
 * message ended by a NUL byte), so no WebSocket client is needed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export function findChromium(): string | undefined {
  return CHROMIUM_CANDIDATES.find((p) => fs.existsSync(p));
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  method: string;
}

/** Replies and events waiting to be read: bounded, a browser gone wild cannot fill memory. */
const MAX_INPUT = 64 * 1024 * 1024;

export class Chromium {
  private readonly child: ChildProcess;
  private readonly toBrowser: Writable;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buf = Buffer.alloc(0);
  private readonly profile: string;
  readonly exited: Promise<number | null>;
  readonly stderr: string[] = [];

  constructor(binary: string) {
    this.profile = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-chromium-'));
    this.child = spawn(binary, [
      '--headless', '--remote-debugging-pipe', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
      '--disable-extensions', '--disable-background-networking', '--disable-sync', '--mute-audio', '--window-size=1280,1600',
      `--user-data-dir=${this.profile}`, 'about:blank',
    ], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    this.toBrowser = this.child.stdio[3] as Writable;
    const fromBrowser = this.child.stdio[4] as Readable;
    (this.child.stderr as Readable).on('data', (d: Buffer) => {
      if (this.stderr.length < 200) this.stderr.push(d.toString());
    });
    fromBrowser.on('data', (d: Buffer) => this.input(d));
    this.toBrowser.on('error', () => undefined);
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`chromium exited (${code}) during ${p.method}`));
      this.pending.clear();
      resolve(code);
    }));
  }

  private input(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    if (this.buf.length > MAX_INPUT) {
      this.child.kill('SIGKILL');
      return;
    }
    let nul: number;
    while ((nul = this.buf.indexOf(0)) >= 0) {
      const msg = JSON.parse(this.buf.subarray(0, nul).toString('utf8')) as { id?: number; result?: unknown; error?: { message: string } };
      this.buf = this.buf.subarray(nul + 1);
      if (msg.id === undefined) continue; // an event: these tests poll instead
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(`${p.method}: ${msg.error.message}`));
      else p?.resolve(msg.result);
    }
  }

  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, method });
      this.toBrowser.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  }

  /** Opens `url` in a new tab and attaches to it. */
  async open(url: string): Promise<Page> {
    const { targetId } = await this.send<{ targetId: string }>('Target.createTarget', { url });
    const { sessionId } = await this.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
    return new Page(this, sessionId);
  }

  async close(): Promise<void> {
    // Browser.close lets chromium end its helper processes itself; a SIGTERM to the main
    // process can leave one writing into the profile while it is being removed.
    void this.send('Browser.close').catch(() => undefined);
    const term = setTimeout(() => this.child.kill('SIGTERM'), 5_000);
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(term);
    clearTimeout(killer);
    fs.rmSync(this.profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

export class Page {
  constructor(private readonly browser: Chromium, readonly sessionId: string) {}

  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    return this.browser.send<T>(method, params, this.sessionId);
  }

  /** Evaluates `expression` in the page and gives its value (JSON-serialisable). */
  async eval<T>(expression: string): Promise<T> {
    const r = await this.send<{ result: { value?: T }; exceptionDetails?: { text: string; exception?: { description?: string } } }>('Runtime.evaluate', {
      expression, returnByValue: true, awaitPromise: true,
    });
    if (r.exceptionDetails) throw new Error(`page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** A real mouse click (pressed and released) at the middle of the element `selector`. */
  async click(selector: string): Promise<void> {
    const box = await this.eval<{ x: number; y: number } | null>(`(() => {
      const e = document.querySelector(${JSON.stringify(selector)});
      if (!e) return null;
      e.scrollIntoView({ block: 'center' });
      const r = e.getBoundingClientRect();
      return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    })()`);
    if (!box) throw new Error(`no element ${selector}`);
    for (const type of ['mousePressed', 'mouseReleased']) {
      await this.send('Input.dispatchMouseEvent', { type, x: box.x, y: box.y, button: 'left', clickCount: 1 });
    }
  }

  async screenshot(file: string): Promise<void> {
    const { data } = await this.send<{ data: string }>('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true });
    fs.writeFileSync(file, Buffer.from(data, 'base64'));
  }
}
