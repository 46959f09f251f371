/**
 * Log lines for a stream (stderr) written once per turn of the event loop instead of once
 * per line. `dialtone isp` logs a handful of lines per session setup; stderr to a pipe or
 * file is written synchronously by Node, one write(2) per line, which cost more CPU than
 * the setup's own work over TCP. Order is kept; what is pending is written at once when it
 * passes `maxPending` characters (bounded) and when the process exits.
 */
export interface BatchedLog {
  (line: string): void;
  /** Writes what is pending now. */
  flush(): void;
}

export function batchedLog(write: (text: string) => void, maxPending = 64 * 1024): BatchedLog {
  let pending: string[] = [];
  let size = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (!pending.length) return;
    const text = pending.join('');
    pending = [];
    size = 0;
    write(text);
  };
  const log = ((line: string) => {
    pending.push(line);
    size += line.length;
    if (size >= maxPending) return flush();
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  }) as BatchedLog;
  log.flush = flush;
  // A process.exit() (or the end of the event loop) must not lose the last lines.
  process.once('exit', flush);
  return log;
}
