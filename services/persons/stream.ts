/**
 * Groups an async stream into batches of up to `max` items. A partial batch is released as soon
 * as the source pauses for `idleMs`, so a client that waits for answers before sending more never
 * deadlocks against the batching.
 */
export async function* batches<T>(source: AsyncIterator<T>, max: number, idleMs: number): AsyncGenerator<T[]> {
  const IDLE = Symbol('idle');
  let pending: Promise<IteratorResult<T>> | undefined;
  let buf: T[] = [];
  for (;;) {
    pending ??= source.next();
    let timer: NodeJS.Timeout | undefined;
    const r = buf.length
      ? await Promise.race([pending, new Promise<typeof IDLE>((resolve) => (timer = setTimeout(() => resolve(IDLE), idleMs)))])
      : await pending;
    clearTimeout(timer);
    if (r === IDLE) {
      yield buf;
      buf = [];
      continue;
    }
    pending = undefined;
    if (r.done) {
      if (buf.length) yield buf;
      return;
    }
    buf.push(r.value);
    if (buf.length >= max) {
      yield buf;
      buf = [];
    }
  }
}
