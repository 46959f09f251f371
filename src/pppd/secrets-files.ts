/**
 * pap-secrets and chap-secrets from the ppp directory, as pppd uses them (auth.c):
 *
 *  - the files are read again for every link (pppd opens them at each lookup), with pppd's
 *    permission warning ("Warning - secret file ... has world and/or group access");
 *  - a file that cannot be opened is reported where pppd reports it: "Can't open chap secret
 *    file ...: %m" when a CHAP secret is needed (get_secret), "Can't open PAP password file
 *    ...: %m" when a PAP peer is checked (check_passwd); the have_*_secret checks and our own
 *    PAP password lookup stay silent, as in pppd;
 *  - `login`: PAP peers are checked against the system password database (and an `@login`
 *    secret always is); an entry whose secret is "" then accepts exactly what the system
 *    accepts, which is what the seeds' `* * "" *` line relies on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseSecrets, permissionWarning } from '../config/secrets.js';
import { fileSecrets, type LoadedFile, type Log, type SecretsFiles, type SecretsOptions } from '../config/secrets-provider.js';
import type { Secrets } from '../ppp/secrets.js';
import { strerror } from '../runtime/strerror.js';

export { fileSecrets, haveSecret, type LoadedFile, type SecretsFiles } from '../config/secrets-provider.js';


function readOne(pppDir: string, name: string, log: Log): LoadedFile {
  const file = path.join(pppDir, name);
  let text: string;
  try {
    text = fs.readFileSync(file, 'latin1');
  } catch (err) {
    return { file, entries: [], error: strerror(err) };
  }
  try {
    const w = permissionWarning(file, fs.statSync(file).mode);
    if (w) log('warn', w);
  } catch (err) {
    log('warn', `cannot stat secret file ${file}: ${strerror(err)}`);
  }
  const readFile = (p: string) => {
    try {
      return { text: fs.readFileSync(p, 'latin1'), mode: fs.statSync(p).mode };
    } catch {
      return undefined;
    }
  };
  const parsed = parseSecrets(text, file, { readFile });
  for (const w of parsed.warnings) log('warn', w);
  return { file, entries: parsed.entries };
}

/** Reads both files now (pppd reads them again at each use; dialtone once per link). */
export function readSecretsFiles(pppDir: string, log: Log): SecretsFiles {
  return { pap: readOne(pppDir, 'pap-secrets', log), chap: readOne(pppDir, 'chap-secrets', log) };
}

/**
 * Both files as one Secrets, read once, for embedders (dialtone isp, getty): a missing file
 * is an empty one, an unreadable one is reported once ("Can't open secrets file ...").
 */
export function loadSecrets(pppDir: string, warn: (msg: string) => void, opts: Omit<SecretsOptions, 'log'> = {}): Secrets {
  const log: Log = (_level, msg) => warn(msg);
  const files = readSecretsFiles(pppDir, log);
  for (const f of [files.pap, files.chap]) {
    if (f.error === undefined) continue;
    if (f.error !== 'No such file or directory') warn(`Can't open secrets file ${f.file}: ${f.error}`);
    delete f.error;
  }
  return fileSecrets(files, { ...opts, log });
}
