/**
 * Runs a chat script (the sans-IO ChatEngine) on a stream with real time: mgetty's
 * init-chat / answer-chat, and any in-process dialling.
 */
import type { Duplex } from 'node:stream';
import { ChatEngine, type ChatEngineOptions } from '../chat/engine.js';
import { parseChatFile } from '../chat/script.js';
import { DeadlineTimer } from './deadline-timer.js';

export interface ChatRunResult {
  /** chat's exit code: 0 ok, 3 timeout, 4+N ABORT string N, ... */
  code: number;
}

/** `script` is written as in a chat file or mgetty.config: words, quotes, chat escapes. */
export function runChat(
  script: string,
  stream: Duplex,
  opts: ChatEngineOptions & { log?: (msg: string) => void; now?: () => number } = {},
): Promise<ChatRunResult> {
  const now = opts.now ?? Date.now;
  const engine = new ChatEngine(parseChatFile(script), { charDelayMs: 0, ...opts });
  return new Promise((resolve) => {
    const timer = new DeadlineTimer(() => {
      engine.tick(now());
      pump();
    }, now);
    let finished = false;
    const onData = (b: Buffer) => {
      engine.input(b, now());
      pump();
    };
    const onEnd = () => {
      engine.end(now(), 'eof');
      pump();
    };
    const finish = (code: number) => {
      finished = true;
      timer.stop();
      stream.off('data', onData);
      stream.off('end', onEnd);
      resolve({ code });
    };
    const pump = () => {
      if (finished) return;
      for (let a = engine.takeAction(); a; a = engine.takeAction()) {
        if (a.type === 'send') stream.write(Buffer.from(a.data));
        else if (a.type === 'log') opts.log?.(a.message);
        else if (a.type === 'readFile') engine.fileData({ error: 'not available' }, now());
        else if (a.type === 'done') return finish(a.code);
      }
      timer.arm(engine.nextDeadline());
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    engine.start(now());
    pump();
  });
}
