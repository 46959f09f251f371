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
