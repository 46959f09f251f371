/**
 * `dialtone isp`: an access server in one process. PPP sessions arrive as raw PPP over TCP
 * (one session per connection) or as calls on a modem bank answered by the getty dialog
 * (AutoPPP or a text login then `ppp`); each gets an address from the pool, DNS, the
 * configured authentication, and a network backend (the userspace NAT) for its traffic.
 * Sessions are counted, reported on a loopback status endpoint, and accounted.
 */
import net from 'node:net';
import http from 'node:http';
import fs from 'node:fs';
import type { Duplex } from 'node:stream';
import { PppLink } from '../runtime/link.js';
import type { NetworkBackend } from '../runtime/driver.js';
import { ModemBank } from '../runtime/modem-bank.js';
import { PhoneBook } from '../modem/phonebook.js';
import { runDialog } from '../runtime/dialog-run.js';
import { parseLoginConfig } from '../getty/config.js';
import { ip4ToString } from '../wire/ipv4.js';
import type { Secrets } from '../ppp/secrets.js';
import { AddressPool } from './pool.js';
import type { IspConfig } from './config.js';

export interface SessionInfo {
  id: number;
  origin: string;
  user?: string;
  address?: string;
  startedAt: number;
  upAt?: number;
}

export interface BackendRequest {
  client: string;
  gateway: string;
  dns: string;
  sessionId: number;
}

export interface IspOptions {
  config: IspConfig;
  secrets: Secrets;
  /** Makes the network backend of one session (the userspace NAT). */
  backend?: (req: BackendRequest) => NetworkBackend & { stats?(): unknown; close?(): void };
  log(msg: string): void;
}

interface Live {
  info: SessionInfo;
  link: PppLink;
  backend?: ReturnType<NonNullable<IspOptions['backend']>>;
}

export class IspServer {
  private readonly pool: AddressPool;
  private readonly sessions = new Map<number, Live>();
  private nextId = 1;
  private pppServer?: net.Server;
  private statusServer?: http.Server;
  private bank?: ModemBank;
  readonly totals = { sessions: 0, refused: 0, bytesIn: 0, bytesOut: 0 };
  readonly addresses: { ppp?: net.AddressInfo; modem?: net.AddressInfo; status?: net.AddressInfo } = {};

  constructor(private readonly opts: IspOptions) {
    this.pool = AddressPool.parse(opts.config.pool);
  }

  async start(): Promise<void> {
    const c = this.opts.config;
    if (c.listenPpp) {
      this.pppServer = net.createServer((sock) => {
        sock.setNoDelay(true);
        this.serve(sock, `tcp ${sock.remoteAddress}:${sock.remotePort}`);
      });
      this.addresses.ppp = await listen(this.pppServer, c.listenPpp);
    }
    if (c.listenModem) {
      this.bank = new ModemBank({
        host: c.listenModem.host,
        port: c.listenModem.port,
        lines: c.modemLines,
        speed: c.modemSpeed,
        phoneBook: PhoneBook.parse(`${c.phone} handler:isp\n`),
        log: c.debug ? (m) => this.opts.log(`modem: ${m}`) : undefined,
      });
      this.bank.registerHandler('isp', (call, info) => void this.answer(call, `modem line ${info.line}`));
      this.addresses.modem = await this.bank.listen();
    }
    if (c.status) {
      this.statusServer = http.createServer((req, res) => {
        if (req.url !== '/status' && req.url !== '/') {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.status(), null, 2));
      });
      this.addresses.status = await listen(this.statusServer, c.status);
    }
  }

  async stop(): Promise<void> {
    for (const s of this.sessions.values()) s.link.close('Server shutting down');
    await Promise.all([...this.sessions.values()].map((s) => s.link.done));
    await Promise.all([
      this.pppServer && new Promise((r) => this.pppServer!.close(r)),
      this.statusServer && new Promise((r) => this.statusServer!.close(r)),
      this.bank?.close(),
    ]);
  }

  status(): unknown {
    return {
      sessions: [...this.sessions.values()].map((s) => ({
        ...s.info,
        phase: s.link.session.phase,
        counters: s.link.session.counters,
        network: s.backend?.stats?.(),
      })),
      pool: { size: this.pool.size, inUse: this.pool.inUse },
      totals: this.totals,
    };
  }

  /** A modem call: the getty dialog first (AutoPPP or a text login), then PPP. */
  private async answer(call: Duplex, origin: string): Promise<void> {
    const login = parseLoginConfig('/AutoPPP/ - a_ppp /usr/sbin/pppd\n* - - /bin/login @\n', 'built-in').value;
    const end = await runDialog(
      call,
      { issue: '\r\ndialtone ISP\r\n\r\n', prompt: 'login: ', login, loginTime: 60, loginPpp: false },
      {
        checkPassword: async (user, password) => this.opts.secrets.verifyPap?.(user, password, 'isp') !== undefined,
        log: (m) => this.opts.log(`${origin}: ${m}`),
      },
    );
    if (end.kind === 'hangup') {
      call.end();
      return;
    }
    // A user who logged in as text is already authenticated (the HOWTO's shell account).
    this.serve(call, origin, end.user);
  }

  private serve(stream: Duplex, origin: string, preAuthenticated?: string): void {
    const c = this.opts.config;
    const id = this.nextId++;
    const log = (m: string) => this.opts.log(`[${id}] ${m}`);
    const address = this.sessions.size < c.maxSessions ? this.pool.take() : undefined;
    if (address === undefined) {
      this.totals.refused++;
      log(`refusing ${origin}: ${this.sessions.size >= c.maxSessions ? 'max-sessions reached' : 'address pool exhausted'}`);
      stream.destroy();
      return;
    }
    const info: SessionInfo = { id, origin, user: preAuthenticated, address: ip4ToString(address), startedAt: Date.now() };
    const auth = preAuthenticated ? 'none' : c.auth;
    const backend = this.opts.backend?.({ client: info.address!, gateway: c.gateway, dns: c.dns, sessionId: id });
    const link = new PppLink(stream, {
      name: 'isp',
      localAddr: c.gateway,
      remoteAddr: address,
      msDns: [c.dns],
      requirePap: auth === 'pap',
      requireChap: auth === 'chap',
      auth: auth === 'any',
      secrets: this.opts.secrets,
      lcpEchoInterval: c.lcpEchoInterval,
      lcpEchoFailure: c.lcpEchoFailure,
      debug: c.debug,
      backend,
    });
    const live: Live = { info, link, backend };
    this.sessions.set(id, live);
    this.totals.sessions++;
    log(`${origin}: session started, address ${info.address}`);
    link.on('log', (level, msg) => (level !== 'debug' || c.debug) && log(msg));
    link.on('auth-up', (name) => (info.user = name));
    link.on('ip-up', () => {
      info.upAt = Date.now();
      this.account({ event: 'start', ...info });
    });
    void link.done.then((status) => {
      const counters = link.session.counters;
      this.totals.bytesIn += counters.bytesIn;
      this.totals.bytesOut += counters.bytesOut;
      this.account({
        event: 'stop', ...info, status, endedAt: Date.now(),
        seconds: info.upAt ? Math.round((Date.now() - info.upAt) / 1000) : 0,
        bytesIn: counters.bytesIn, bytesOut: counters.bytesOut, framesIn: counters.framesIn, framesOut: counters.framesOut,
      });
      backend?.close?.();
      this.sessions.delete(id);
      this.pool.give(address);
      log(`session ended (exit status ${status})`);
    });
  }

  /** Accounting records are appended and flushed one by one, so a crash loses none. */
  private account(record: Record<string, unknown>): void {
    const file = this.opts.config.accounting;
    if (!file) return;
    const fd = fs.openSync(file, 'a', 0o600);
    try {
      fs.writeSync(fd, `${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

function listen(server: net.Server | http.Server, at: { host: string; port: number }): Promise<net.AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve(server.address() as net.AddressInfo);
    });
  });
}
