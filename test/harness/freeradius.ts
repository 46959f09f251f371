// A private, real FreeRADIUS (Debian's freeradius 3.x) for one test: a minimal generated
// configuration in a temp dir (clients.conf, an authorize file in the `files` module's format,
// pap/chap/mschap/eap-md5, `detail` accounting), listening on free 127.0.0.1 UDP ports, run in
// the foreground with debug output (`freeradius -X -d DIR`), ready when it says so and answers
// a Status-Server, stopped (and its dir removed) at test end.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitUntil } from '../../src/runtime/wait-until.js';
import { encodePacket, decodePacket, RadiusCode } from '../../src/radius/packet.js';
import { signAccessRequest, randomAuthenticator, verifyResponse, MESSAGE_AUTHENTICATOR } from '../../src/radius/crypto.js';

export function freeradiusAvailable(): { ok: boolean; why?: string } {
  for (const bin of ['freeradius', 'radclient']) {
    const r = spawnSync('sh', ['-c', `command -v ${bin}`]);
    if (r.status !== 0) return { ok: false, why: `${bin} not installed (Debian freeradius, freeradius-utils)` };
  }
  return { ok: true };
}

/** A UDP port free on 127.0.0.1 at the time of asking. */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.on('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

export interface FreeRadiusOptions {
  secret: string;
  /** The `files` module's authorize file, verbatim (FreeRADIUS `users` format). */
  authorize: string;
  /** Fixed ports (to restart an instance on the same ones); free ones are chosen otherwise. */
  authPort?: number;
  acctPort?: number;
  /** EAP-TLS (RFC 5216) with these PEM files; it becomes the eap module's default type. */
  eapTls?: FreeRadiusEapTls;
}

export interface FreeRadiusEapTls {
  /** The CA that client certificates must chain to. */
  caFile: string;
  certFile: string;
  keyFile: string;
  /** TLS record bytes per EAP-Request (FreeRADIUS's fragment_size; its default is 1024). */
  fragmentSize?: number;
}

export interface FreeRadius {
  authPort: number;
  acctPort: number;
  dir: string;
  /** The `detail` accounting file (may not exist until the first Accounting-Request). */
  detailFile: string;
  /** Everything FreeRADIUS printed so far. */
  log(): string;
  stop(): Promise<void>;
}

function radiusdConf(dir: string, authPort: number, acctPort: number, tls?: FreeRadiusEapTls): string {
  return `prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = ${dir}
sbindir = /usr/sbin
logdir = ${dir}/log
raddbdir = ${dir}
radacctdir = ${dir}/acct
name = freeradius
confdir = ${dir}
modconfdir = ${dir}/mods-config
certdir = ${dir}
cadir = ${dir}
run_dir = ${dir}/run
db_dir = ${dir}
libdir = /usr/lib/freeradius
pidfile = ${dir}/run/radiusd.pid
max_request_time = 30
cleanup_delay = 2
max_requests = 16384
hostname_lookups = no
log {
  destination = stdout
  auth = yes
  auth_badpass = no
  auth_goodpass = no
}
security {
  allow_core_dumps = no
  max_attributes = 200
  reject_delay = 0
  status_server = yes
}
thread pool {
  start_servers = 2
  max_servers = 4
  min_spare_servers = 1
  max_spare_servers = 3
  max_requests_per_server = 0
}
$INCLUDE clients.conf
modules {
  pap {
  }
  chap {
  }
  mschap {
  }
  files {
    filename = ${dir}/authorize
    acctusersfile = ${dir}/empty
    preproxy_usersfile = ${dir}/empty
  }
  detail {
    filename = ${dir}/detail
    escape_filenames = no
    permissions = 0600
    header = "%t"
  }
  eap {
    default_eap_type = ${tls ? 'tls' : 'md5'}
    timer_expire = 60
    ignore_unknown_eap_types = no
    max_sessions = 1024
    md5 {
    }${tls ? eapTlsConf(tls) : ''}
  }
}
server default {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = ${authPort}
  }
  listen {
    type = acct
    ipaddr = 127.0.0.1
    port = ${acctPort}
  }
  authorize {
    chap
    mschap
    eap {
      ok = return
    }
    files
    pap
  }
  authenticate {
    Auth-Type PAP {
      pap
    }
    Auth-Type CHAP {
      chap
    }
    Auth-Type MS-CHAP {
      mschap
    }
    eap
  }
  preacct {
  }
  accounting {
    detail
  }
  post-auth {
  }
}
`;
}

// TLS 1.2 at most: pppd 2.4.9's EAP-TLS predates RFC 9190's TLS 1.3 rules (FreeRADIUS 3.2's
// default maximum is 1.2 too). include_length (RFC 5216 §2.1.5's L flag) is FreeRADIUS's default.
function eapTlsConf(t: FreeRadiusEapTls): string {
  return `
    tls-config tls-common {
      private_key_file = ${t.keyFile}
      certificate_file = ${t.certFile}
      ca_file = ${t.caFile}
      fragment_size = ${t.fragmentSize ?? 1024}
      include_length = yes
      tls_min_version = "1.2"
      tls_max_version = "1.2"
      cipher_list = "DEFAULT"
      ecdh_curve = "prime256v1"
    }
    tls {
      tls = tls-common
    }`;
}

/** Starts FreeRADIUS and resolves once it answers a Status-Server on its auth port. */
export async function startFreeRadius(opts: FreeRadiusOptions): Promise<FreeRadius> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-freeradius-'));
  for (const d of ['log', 'acct', 'run', 'mods-config']) fs.mkdirSync(path.join(dir, d));
  const authPort = opts.authPort ?? (await freeUdpPort());
  let acctPort = opts.acctPort ?? (await freeUdpPort());
  while (acctPort === authPort) acctPort = await freeUdpPort();
  fs.writeFileSync(path.join(dir, 'radiusd.conf'), radiusdConf(dir, authPort, acctPort, opts.eapTls));
  fs.writeFileSync(path.join(dir, 'clients.conf'), `client localhost {\n  ipaddr = 127.0.0.1\n  secret = "${opts.secret}"\n  require_message_authenticator = no\n  nas_type = other\n}\n`);
  fs.writeFileSync(path.join(dir, 'authorize'), opts.authorize);
  fs.writeFileSync(path.join(dir, 'empty'), '');
  fs.writeFileSync(path.join(dir, 'dictionary'), '');

  let out = '';
  const child: ChildProcess = spawn('freeradius', ['-X', '-d', dir, '-n', 'radiusd'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (out = (out + d).slice(-2_000_000)));
  child.stderr!.on('data', (d) => (out = (out + d).slice(-2_000_000)));
  let exited = false;
  const exitedP = new Promise<void>((r) => child.on('exit', () => { exited = true; r(); }));

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exitedP;
      clearTimeout(t);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil(() => exited || /Ready to process requests/.test(out), 60_000, 'FreeRADIUS "Ready to process requests"');
    if (exited) throw new Error('freeradius exited before ready');
    // Its log says ready before the sockets answer on a busy machine: ask it (RFC 5997).
    const until = Date.now() + 30_000;
    while (!(await statusServer('127.0.0.1', authPort, opts.secret))) {
      if (exited || Date.now() > until) throw new Error('freeradius does not answer Status-Server');
    }
  } catch (e) {
    const log = out;
    await stop();
    throw new Error(`${(e as Error).message}\n--- freeradius ---\n${log}`);
  }
  return { authPort, acctPort, dir, detailFile: path.join(dir, 'detail'), log: () => out, stop };
}

/** One Status-Server (RFC 5997) round trip; true on a valid Access-Accept within 2 s. */
export function statusServer(host: string, port: number, secret: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const ra = randomAuthenticator();
    const req = signAccessRequest(encodePacket({ code: RadiusCode.StatusServer, identifier: 1, authenticator: ra,
      attributes: [{ type: MESSAGE_AUTHENTICATOR, value: Buffer.alloc(16) }] }), Buffer.from(secret));
    const done = (v: boolean) => { clearTimeout(t); s.close(); resolve(v); };
    const t = setTimeout(() => done(false), 2000);
    s.on('error', () => done(false));
    s.on('message', (m) => {
      const d = decodePacket(m);
      done(d.ok && d.packet.code === RadiusCode.AccessAccept && verifyResponse(m, ra, Buffer.from(secret)).ok);
    });
    s.send(req, port, host);
  });
}
