/**
 * Runs the sans-IO login dialog (src/getty/dialog.ts) on a stream with real time, until the
 * caller is to get PPP or be hung up on. Used by the getty and the ISP's modem lines.
 */
import type { Duplex } from 'node:stream';
import { LoginDialog, type DialogConfig } from '../getty/dialog.js';
import { DeadlineTimer } from './deadline-timer.js';

export type DialogEnd =
  | { kind: 'ppp'; args: string[]; user?: string; /** Bytes put back into the stream for PPP (AutoPPP's first frame). */ replayed?: number }
  | { kind: 'slip'; mode: 'slip' | 'cslip'; user: string }
  | { kind: 'hangup'; reason: string };

/**
 * Puts bytes the dialog already consumed back at the front of the stream, for whoever reads
 * it next (a `dialtone pppd` child through pipe(), or an in-process PPP link through a 'data'
 * listener). The stream is paused first, or the bytes would be emitted to nobody before the
 * next reader attaches; it resumes when that reader adds its 'data' listener (pipe() resumes
 * by itself; a bare on('data') does not after an explicit pause()).
 */
export function replay(stream: Duplex, bytes: Uint8Array): void {
  if (bytes.length === 0) return;
  stream.pause();
  stream.unshift(Buffer.from(bytes));
  const onListener = (event: string | symbol) => {
    if (event !== 'data') return;
    stream.off('newListener', onListener);
    process.nextTick(() => stream.resume());
  };
  stream.on('newListener', onListener);
}

export function runDialog(
  stream: Duplex,
  config: DialogConfig,
  opts: { checkPassword(user: string, password: string): Promise<boolean>; log(msg: string): void },
): Promise<DialogEnd> {
  const dialog = new LoginDialog(config);
  return new Promise((resolve) => {
    const timer = new DeadlineTimer(() => {
      dialog.tick(Date.now());
      pump();
    });
    let ended = false;
    const end = (r: DialogEnd) => {
      if (ended) return;
      ended = true;
      timer.stop();
      stream.off('data', onData);
      stream.off('end', onEnd);
      resolve(r);
    };
    const pump = () => {
      for (const o of dialog.takeActions()) {
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
        } else if (o.type === 'start-ppp') {
          // AutoPPP read the start of the caller's first LCP frame: PPP gets it back, so its
          // Configure-Request is answered now rather than after the caller's 3 s restart.
          stream.off('data', onData);
          const initial = o.initial ?? new Uint8Array(0);
          replay(stream, initial);
          return end({ kind: 'ppp', args: o.args, user: o.user, replayed: initial.length });
        }
        else if (o.type === 'start-slip') {
          stream.off('data', onData);
          return end({ kind: 'slip', mode: o.mode, user: o.user });
        }
        else if (o.type === 'hangup') return end({ kind: 'hangup', reason: o.reason });
      }
      timer.arm(dialog.nextDeadline());
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

