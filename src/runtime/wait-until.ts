/**
 * Test aid: waits until `condition()` holds, checking after each turn of the event loop
 * (and every few ms), for a generous `ms` — a deadline for a stuck test, not a timing
 * expectation, so a loaded machine only makes the wait longer.
 */
export async function waitUntil(condition: () => boolean, ms = 60_000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** waitUntil for a condition that must be asked asynchronously (an HTTP status, an `ip` command). */
export async function waitUntilAsync(condition: () => Promise<boolean>, ms = 60_000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
