/**
 * Serial lines for `dialtone pppd /dev/ttyS0 38400 crtscts modem`, through the `serialport`
 * package (prebuilt native bindings, no compiler needed), set up the way pppd's
 * sys-linux.c set_up_tty and tty.c connect_tty/finish_tty treat a tty:
 *
 *  - 8 bits, no parity, raw; `crtscts` -> CRTSCTS, `xonxoff` -> IXON|IXOFF;
 *  - the speed given, else the speed the tty already has (pppd: "Baud rate for %s is 0;
 *    need explicit baud rate" when that is 0);
 *  - `modem` (pppd's default): HUPCL, so closing the port drops DTR; carrier (DCD) is
 *    waited for (pppd reopens the tty without O_NONBLOCK when there is no connect script,
 *    which blocks until DCD; it logs nothing while it waits) and, once watched, a carrier
 *    drop is a hangup: the stream ends, which the PPP driver reports as "Modem hangup";
 *  - `local`: CLOCAL, no HUPCL, carrier ignored;
 *  - hangup: DTR low for 1 s (finish_tty and the "in case modem is off hook" toggle
 *    before a connect script both sleep(1)), then high again.
 *
 * The serialport binding always sets CLOCAL, so the kernel never blocks or hangs up for
 * carrier: dialtone polls the modem lines (TIOCMGET) instead.
 *
 * Pseudo-terminals (socat, emulators) have no modem lines: TIOCMGET and TIOCMSET fail with
 * ENOTTY. There dialtone treats carrier as always present (nothing to wait for, nothing to
 * lose) and DTR changes as no-ops; the far end closing its side still ends the stream
 * (reads fail with EIO), which is reported as a hangup.
 */
import fs from 'node:fs';
import tty from 'node:tty';
import { Duplex } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { SerialPort } from 'serialport';
import type { LogFn } from '../ppp/log.js';
import { strerror } from '../runtime/strerror.js';

export interface SerialOptions {
  speed?: number;
  crtscts?: boolean;
  xonxoff?: boolean;
  /** Use the modem control lines (pppd's `modem`, the default); false is pppd's `local`. */
  modem?: boolean;
  /**
   * Wait for carrier (DCD) before resolving, then watch it. Default: `modem`. pppd waits
   * only when there is no connect script (tty.c: `connector == NULL && modem`): with a
   * connect or init script pass false, run the script, then call watchCarrier().
   */
  waitForCarrier?: boolean;
  /** How often the modem lines are polled, ms (default 100). */
  carrierPollMs?: number;
  /** How long hangup() holds DTR low, ms (default 1000, pppd's sleep(1)). */
  hangupMs?: number;
  /** Reads DCD: true/false, undefined when the line has no modem lines. Default: TIOCMGET via serialport. Tests substitute one. */
  carrierProbe?: () => Promise<boolean | undefined>;
  log?: LogFn;
}

export interface SerialLine {
  name: string;
  stream: Duplex;
  fd?: number;
  close(): void;
  hangup(): Promise<void>;
  onCarrierLost(cb: () => void): void;
  /** The line speed in use (pppd's baud_rate, for SPEED and the scripts' arguments). */
  readonly speed: number;
  /** False on a pseudo-terminal: no DCD/DTR to use. */
  readonly hasModemLines: boolean;
  /** Start treating a carrier drop as a hangup (pppd clearing CLOCAL after the connect script). */
  watchCarrier(): void;
  /** Resolves once DCD is up (at once where there are no modem lines). */
  waitForCarrier(): Promise<void>;
  setDtr(on: boolean): Promise<void>;
}

/** The speed a tty has now, from stty (coreutils), which opens it O_NONBLOCK. */
function currentSpeed(path: string): number | undefined {
  const r = spawnSync('stty', ['-F', path, 'speed'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const n = Number((r.stdout ?? '').trim());
  return r.status === 0 && Number.isInteger(n) ? n : undefined;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Binding {
  fd: number | null;
  readonly isOpen: boolean;
  readonly poller: { once(event: 'readable', cb: (err: Error | null) => void): unknown };
  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }>;
}

const fsRead = (fd: number, buffer: Buffer, offset: number, length: number) =>
  new Promise<number>((resolve, reject) => fs.read(fd, buffer, offset, length, null, (err, n) => (err ? reject(err) : resolve(n))));

/**
 * The binding's read retries a 0-byte read at once, forever: on a tty that was hung up
 * (or a pty whose other side closed) that is a busy loop instead of the end of file pppd
 * sees as "Modem hangup". Same read, but 0 bytes is reported, which the serialport stream
 * turns into 'end'.
 */
function patchRead(binding: Binding): void {
  binding.read = async (buffer, offset, length) => {
    for (;;) {
      if (!binding.isOpen || binding.fd === null) throw Object.assign(new Error('Port is not open'), { canceled: true });
      try {
        const bytesRead = await fsRead(binding.fd, buffer, offset, length);
        return { buffer, bytesRead };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK' && code !== 'EINTR') throw err;
        if (!binding.isOpen) throw Object.assign(new Error('Port is not open'), { canceled: true });
        await new Promise<void>((resolve, reject) => binding.poller.once('readable', (e) => (e ? reject(e) : resolve())));
      }
    }
  };
}

/** The serialport as a stream that reads only when asked to, so a connect script can have the fd first. */
class SerialStream extends Duplex {
  private started = false;
  private ended = false;
  constructor(private readonly port: SerialPort) {
    super({ allowHalfOpen: false });
    port.on('error', (err: NodeJS.ErrnoException) => {
      // A pty whose other side went away, or a tty that was hung up: end of line.
      if (/EIO|Input\/output error|disconnected/i.test(`${err.code ?? ''} ${err.message}`)) this.hangupEnd();
      else this.destroy(err);
    });
    port.on('close', () => this.hangupEnd());
  }
  override _read(): void {
    if (!this.started) {
      this.started = true;
      this.port.on('data', (b: Buffer) => {
        if (this.ended) return;
        if (!this.push(b)) this.port.pause();
      });
    }
    this.port.resume();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (!this.port.isOpen) return cb(new Error('port is closed'));
    this.port.write(chunk, (err) => cb(err ?? null));
  }
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.port.isOpen) this.port.close(() => cb(err));
    else cb(err);
  }
  /** End of the readable side: the driver sees 'end' and logs "Modem hangup". */
  hangupEnd(): void {
    if (this.ended || this.destroyed) return;
    this.ended = true;
    this.port.pause();
    this.push(null);
  }
}

export async function openSerial(path: string, opts: SerialOptions): Promise<SerialLine> {
  const modem = opts.modem ?? true;
  const log: LogFn = opts.log ?? (() => undefined);
  // Open it once ourselves first: that gives the errno (and pppd's %m text) for a missing
  // or forbidden device, which the binding's error string does not keep.
  // Errors carry pppd's %m text as their message (the daemon logs "Failed to open %s: %m")
  // and the errno name as `code`.
  let isTty: boolean;
  try {
    const probeFd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_NOCTTY | fs.constants.O_NONBLOCK);
    isTty = tty.isatty(probeFd);
    fs.closeSync(probeFd);
  } catch (err) {
    throw Object.assign(new Error(strerror(err)), { code: (err as NodeJS.ErrnoException).code });
  }
  // pppd: tcgetattr fails, "tcgetattr: Inappropriate ioctl for device" and exit 1.
  if (!isTty) throw Object.assign(new Error('Inappropriate ioctl for device'), { code: 'ENOTTY' });
  const speed = opts.speed ?? currentSpeed(path);
  if (!speed) throw new Error(`Baud rate for ${path} is 0; need explicit baud rate`);
  const port = new SerialPort({
    path,
    baudRate: speed,
    autoOpen: false,
    rtscts: !!opts.crtscts,
    xon: !!opts.xonxoff,
    xoff: !!opts.xonxoff,
    hupcl: modem,
    lock: false, // pppd uses UUCP lock files (lock.ts), not flock
  });
  await new Promise<void>((resolve, reject) =>
    port.open((err) => {
      if (!err) return resolve();
      // The binding says "Error: <strerror>, cannot open <path>".
      const m = /^(?:Error:? )*(.+?)(?:, cannot open| setting custom| \|\||$)/.exec(err.message);
      reject(new Error(m ? m[1] : err.message));
    }),
  );
  port.pause();
  const binding = port.port as unknown as Binding;
  patchRead(binding);
  const fd = binding.fd ?? undefined;
  const stream = new SerialStream(port);
  port.on('end', () => stream.hangupEnd());

  const probe =
    opts.carrierProbe ??
    (() =>
      new Promise<boolean | undefined>((resolve) => {
        if (!port.isOpen) return resolve(undefined);
        port.get((err, status) => resolve(err || !status ? undefined : !!status.dcd));
      }));
  const hasModemLines = (await probe()) !== undefined;
  if (!hasModemLines) log('debug', `${path} has no modem control lines (a pseudo-terminal?): carrier is not checked`);

  const lostCbs: (() => void)[] = [];
  let poll: NodeJS.Timeout | undefined;
  let lost = false;
  let closed = false;
  const pollMs = opts.carrierPollMs ?? 100;

  const carrierLost = () => {
    if (lost) return;
    lost = true;
    if (poll) clearInterval(poll);
    poll = undefined;
    for (const cb of lostCbs) cb();
    stream.hangupEnd();
  };

  const line: SerialLine = {
    name: path,
    stream,
    fd,
    speed,
    hasModemLines,
    close() {
      closed = true;
      if (poll) clearInterval(poll);
      poll = undefined;
      if (!stream.destroyed) stream.destroy();
      else if (port.isOpen) port.close();
    },
    async hangup() {
      const wasWatching = poll !== undefined;
      if (poll) clearInterval(poll);
      poll = undefined;
      await line.setDtr(false);
      await sleep(opts.hangupMs ?? 1000);
      await line.setDtr(true);
      // Our own hangup is no carrier loss; resume watching if we were.
      if (wasWatching && !closed) line.watchCarrier();
    },
    onCarrierLost(cb) {
      lostCbs.push(cb);
    },
    watchCarrier() {
      if (!modem || !hasModemLines || poll || lost || closed) return;
      let busy = false;
      poll = setInterval(() => {
        if (busy) return;
        busy = true;
        void probe().then((dcd) => {
          busy = false;
          if (poll && dcd === false) carrierLost();
        });
      }, pollMs);
      poll.unref();
    },
    async waitForCarrier() {
      if (!modem || !hasModemLines) return;
      for (;;) {
        if (closed) throw new Error(`${path} closed while waiting for carrier`);
        const dcd = await probe();
        if (dcd !== false) return;
        await sleep(pollMs);
      }
    },
    setDtr(on) {
      // sys-linux.c setdtr ignores the ioctl's result: so does this (a pty has no DTR).
      return new Promise<void>((resolve) => {
        if (!hasModemLines || !port.isOpen) return resolve();
        port.set({ dtr: on }, () => resolve());
      });
    },
  };

  if (opts.waitForCarrier ?? modem) {
    await line.waitForCarrier();
    line.watchCarrier();
  }
  return line;
}
