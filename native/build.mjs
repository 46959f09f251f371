// `npm install` runs this (package.json "install"): build the optional N-API addon
// native/dialtone_net.c and native/hdlc_kernel.c with node-gyp into native/build/. The addon
// is needed only for the TUN network backend and PPPoE (root), and speeds up HDLC framing
// (else a WebAssembly kernel does it); the userspace NAT and SOCKS backends need nothing
// native, so a missing compiler or a failed build prints why and the install still
// succeeds. DIALTONE_SKIP_NATIVE=1 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

function note(msg) {
  process.stderr.write(`dialtone: ${msg}\n`);
}

function fallback(why) {
  note(`native addon not built (${why}).`);
  note('The TUN network backend and PPPoE need it (a C compiler, make, python3: Debian "build-essential python3");');
  note('everything else, including the default userspace NAT and SOCKS backends, works without it');
  note('(HDLC framing then runs in WebAssembly, about half as fast).');
  note('Build it later with: npm run build:native');
  process.exit(0);
}

if (process.env.DIALTONE_SKIP_NATIVE === '1') fallback('DIALTONE_SKIP_NATIVE=1');
if (process.platform !== 'linux') fallback(`${process.platform} has no /dev/net/tun or AF_PACKET`);

// node-gyp: the one npm runs lifecycle scripts with, else npm's bundled copy, else PATH.
function nodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return [process.execPath, fromNpm];
  const npmDir = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
  const bundled = path.join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (existsSync(bundled)) return [process.execPath, bundled];
  try {
    const require = createRequire(import.meta.url);
    return [process.execPath, require.resolve('node-gyp/bin/node-gyp.js')];
  } catch {
    return ['node-gyp'];
  }
}

for (const tool of ['cc', 'make']) {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
  if (r.status !== 0) fallback(`no "${tool}" on PATH`);
}

const [cmd, ...pre] = nodeGyp();
const args = [...pre, 'rebuild'];
// Use the headers installed beside this node when they are there (no download needed).
const prefix = path.join(path.dirname(process.execPath), '..');
if (existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${path.resolve(prefix)}`);
const r = spawnSync(cmd, args, { cwd: here, stdio: ['ignore', 'inherit', 'inherit'] });
if (r.error) fallback(`could not run node-gyp: ${r.error.message}`);
if (r.status !== 0) fallback(`node-gyp exited with status ${r.status}`);
note('native addon built: native/build/Release/dialtone_net.node');
