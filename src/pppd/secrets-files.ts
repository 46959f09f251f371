/** Reads pap-secrets and chap-secrets from the ppp directory, with pppd's warnings. */
import fs from 'node:fs';
import path from 'node:path';
import { permissionWarning } from '../config/secrets.js';
import { secretsFromText } from '../config/secrets-provider.js';
import type { Secrets } from '../ppp/secrets.js';

export function loadSecrets(pppDir: string, warn: (msg: string) => void): Secrets {
  const read = (name: string) => {
    const file = path.join(pppDir, name);
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      return undefined; // pppd treats a missing secrets file as an empty one
    }
    const w = permissionWarning(file, st.mode);
    if (w) warn(w);
    try {
      return { text: fs.readFileSync(file, 'latin1'), file };
    } catch (err) {
      warn(`Can't open secrets file ${file}: ${(err as Error).message}`);
      return undefined;
    }
  };
  const readFile = (p: string) => {
    try {
      return { text: fs.readFileSync(p, 'latin1'), mode: fs.statSync(p).mode };
    } catch {
      return undefined;
    }
  };
  const { secrets, warnings } = secretsFromText(read('pap-secrets'), read('chap-secrets'), { readFile, onWarning: warn });
  warnings.forEach(warn);
  return secrets;
}
