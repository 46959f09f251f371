/**
 * Runs the sans-IO login dialog (src/getty/dialog.ts) on a stream with real time, until the
 * caller is to get PPP or be hung up on. Used by the getty and the ISP's modem lines.
 */
import type { Duplex } from 'node:stream';
import { LoginDialog, type DialogConfig } from '../getty/dialog.js';

export type DialogEnd = { kind: 'ppp'; args: string[]; user?: string } | { kind: 'hangup'; reason: string };

export function runDialog(
  stream: Duplex,
  config: DialogConfig,
  opts: { checkPassword(user: string, password: string): Promise<boolean>; log(msg: string): void },
): Promise<DialogEnd> {
  const dialog = new LoginDialog(config);
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let ended = false;
    const end = (r: DialogEnd) => {
      if (ended) return;
      ended = true;
      if (timer) clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      resolve(r);
    };
    const pump = () => {
      for (const o of dialog.poll()) {
        if (o.type === 'send') stream.write(o.data);
        else if (o.type === 'log') opts.log(o.msg);
        else if (o.type === 'check-password') {
          opts.checkPassword(o.user, o.password).then((ok) => {
            dialog.passwordResult(ok);
            pump();
          }, () => {
            dialog.passwordResult(false);
            pump();
          });
        } else if (o.type === 'start-ppp') return end({ kind: 'ppp', args: o.args, user: o.user });
        else if (o.type === 'hangup') return end({ kind: 'hangup', reason: o.reason });
      }
      if (timer) clearTimeout(timer);
      const at = dialog.nextDeadline();
      if (at !== undefined) timer = setTimeout(() => { dialog.tick(Date.now()); pump(); }, Math.max(0, at - Date.now()));
    };
    const onData = (b: Buffer) => {
      dialog.input(b);
      pump();
    };
    const onEnd = () => end({ kind: 'hangup', reason: 'caller hung up' });
    stream.on('data', onData);
    stream.on('end', onEnd);
    dialog.start(Date.now());
    pump();
  });
}

