/**
 * A line is any duplex byte stream a PPP link can run over. This module opens the ones
 * pppd's users reach for, by the names dialtone accepts as the device:
 *
 *   tcp:HOST:PORT          connect to a TCP port (a modem bank, socat, a UML's serial line)
 *   tcp-listen:HOST:PORT   accept one TCP connection
 *   - (or pppd's notty)    standard input and output
 *   pty:COMMAND            a command's stdin/stdout (pppd's `pty "command"`)
 *   /dev/ttyS0, ttyS0      a device node opened read/write (serial lines: see issue 3)
 *   l2tp:HOST[:PORT]       an L2TP tunnel and call to an LNS (RFC 2661, UDP 1701; src/l2tp)
 */
import net from 'node:net';
import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import os from 'node:os';
import { openSerial } from './serial.js';
import { dialL2tp } from '../runtime/l2tp-udp.js';

export interface Line {
  /** What pppd prints in "Connect: ppp0 <--> NAME". */
  readonly name: string;
  readonly stream: Duplex;
  close(): void;
  /** Each chunk is one whole PPP frame (L2TP): the session runs over a FrameLink, not HDLC. */
  readonly frames?: boolean;
}

export type LineSpec =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'tcp-listen'; host: string; port: number }
  | { kind: 'stdio' }
  | { kind: 'pty'; command: string }
  | { kind: 'device'; path: string }
  | { kind: 'l2tp'; host: string; port: number };

/** What an `l2tp:` line needs beyond its address (pppd options l2tp-secret, l2tp-hostname). */
export interface L2tpLineOptions {
  secret?: string;
  hostName?: string;
  log?(msg: string): void;
}

/** Parses a device word; undefined when the word is not a line at all. */
export function parseLineSpec(word: string): LineSpec | undefined {
  const hostPort = (rest: string): { host: string; port: number } | undefined => {
    const i = rest.lastIndexOf(':');
    if (i < 0) return undefined;
    const port = Number(rest.slice(i + 1));
    if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
    return { host: rest.slice(0, i).replace(/^\[(.*)\]$/, '$1') || '127.0.0.1', port };
  };
  if (word.startsWith('tcp-listen:')) {
    const hp = hostPort(word.slice('tcp-listen:'.length));
    return hp && { kind: 'tcp-listen', ...hp };
  }
  if (word.startsWith('tcp:')) {
    const hp = hostPort(word.slice('tcp:'.length));
    return hp && { kind: 'tcp', ...hp };
  }
  if (word.startsWith('l2tp:')) {
    const rest = word.slice('l2tp:'.length);
    if (!rest) return undefined;
    const hp = hostPort(rest);
    if (hp) return { kind: 'l2tp', ...hp };
    // No port: the L2TP port, 1701 (RFC 2661 §8.1).
    return /^[\w.-]+$|^\[[0-9A-Fa-f:.]+\]$/.test(rest) ? { kind: 'l2tp', host: rest.replace(/^\[(.*)\]$/, '$1'), port: 1701 } : undefined;
  }
  if (word === '-') return { kind: 'stdio' };
  if (word.startsWith('pty:')) return { kind: 'pty', command: word.slice(4) };
  if (word.startsWith('/dev/') || /^tty/.test(word)) return { kind: 'device', path: word.startsWith('/') ? word : `/dev/${word}` };
  return undefined;
}

export function describeLine(spec: LineSpec): string {
  switch (spec.kind) {
    case 'tcp': return `tcp:${spec.host}:${spec.port}`;
    case 'tcp-listen': return `tcp-listen:${spec.host}:${spec.port}`;
    case 'stdio': return 'stdin/stdout';
    case 'pty': return `pty:${spec.command}`;
    case 'device': return spec.path;
    case 'l2tp': return `l2tp:${spec.host}:${spec.port}`;
  }
}

/** Opens the line; for tcp-listen, resolves once a peer has connected (`onListening` first). */
export async function openLine(spec: LineSpec, opts: { onListening?: (port: number) => void; signal?: AbortSignal; l2tp?: L2tpLineOptions } = {}): Promise<Line> {
  const name = describeLine(spec);
  const { signal } = opts;
  signal?.throwIfAborted();
  switch (spec.kind) {
    case 'tcp': {
      const sock = net.connect({ host: spec.host, port: spec.port });
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          sock.destroy();
          reject(signal!.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        sock.once('connect', () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
        sock.once('error', (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        });
      });
      sock.setNoDelay(true);
      return { name, stream: sock, close: () => sock.destroy() };
    }
    case 'tcp-listen': {
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(spec.port, spec.host, () => resolve());
      });
      opts.onListening?.((server.address() as net.AddressInfo).port);
      const sock = await new Promise<net.Socket>((resolve, reject) => {
        const onAbort = () => {
          server.close();
          reject(signal!.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        server.once('connection', (s) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(s);
        });
      });
      server.close(); // one connection, like pppd on one tty
      sock.setNoDelay(true);
      return { name, stream: sock, close: () => sock.destroy() };
    }
    case 'stdio': {
      const stream = Duplex.from({ readable: process.stdin, writable: process.stdout });
      return { name, stream, close: () => process.stdin.pause() };
    }
    case 'pty': {
      // pppd runs the command on a pseudo-terminal; a pipe pair serves the same purpose
      // for the commands people give it (socat, ssh, nc) and needs no tty handling.
      const child = spawn('/bin/sh', ['-c', spec.command], { stdio: ['pipe', 'pipe', 'inherit'] });
      const stream = Duplex.from({ readable: child.stdout, writable: child.stdin });
      child.stdin.on('error', () => undefined);
      child.once('exit', () => stream.destroy());
      return { name, stream, close: () => child.kill('SIGTERM') };
    }
    case 'device': {
      // The one device opener (serial.ts), as the daemon uses it: here without modem control.
      const s = await openSerial(spec.path, { modem: false });
      return { name: spec.path, stream: s.stream, close: () => void s.close() };
    }
    case 'l2tp': {
      const l = opts.l2tp ?? {};
      const { call, udp } = await dialL2tp({
        host: spec.host, port: spec.port, hostName: l.hostName ?? os.hostname(),
        ...(l.secret !== undefined ? { secret: l.secret } : {}), ...(l.log ? { log: l.log } : {}), ...(signal ? { signal } : {}),
      });
      return { name, stream: call.stream, frames: true, close: () => (call.stream.destroy(), void udp.close()) };
    }
  }
}
