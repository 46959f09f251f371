/**
 * Wall-clock milliseconds read once per event-loop turn. The runtime hands the sans-IO core
 * the time with every packet (a bulk transfer's ~700 segments per MB each way), and
 * Date.now() costs ~115 ns on this project's test VM (a call into V8's runtime and the
 * clock): ~0.08 ms of CPU per MB each way, for a value that does not move by a millisecond
 * within one turn's work. The first read in a turn takes the clock; a microtask, which runs
 * once the turn's synchronous work is done, lets the next turn read it again. Timer and
 * socket callbacks are turns of their own, so a deadline never sees an older turn's time.
 */
export function turnClock(clock: () => number = Date.now): () => number {
  let cached = -1;
  const expire = () => {
    cached = -1;
  };
  return () => {
    if (cached < 0) {
      cached = clock();
      queueMicrotask(expire);
    }
    return cached;
  };
}
