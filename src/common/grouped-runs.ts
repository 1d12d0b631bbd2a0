interface Pending<I, R> {
  items: I[];
  promise: Promise<R>;
  resolve: (value: R) => void;
  reject: (reason: unknown) => void;
}

/**
 * Runs `work` at most once at a time per key, and lets concurrent callers share runs without
 * ever getting an answer older than their own call: a call made while no run is in flight starts
 * one at once; a call made while one is in flight joins the next run, which starts once the
 * current one has ended and the event loop has handled the input already waiting (the requests
 * that arrived with its answer join it too), and carries the items of every call that joined it.
 * Every caller thus gets the result of a run that *started after it called* — what a fresh read
 * needs (a write committed before the call is seen) and what a write needs (its item is in the
 * statement it awaits) — while under load one database round trip serves every request that
 * arrived during the previous one.
 *
 * Nothing is kept once a key's runs are over: the map holds only keys with a run in flight.
 */
export class GroupedRuns<K, I, R> {
  private readonly slots = new Map<K, { next: Pending<I, R> | null }>();

  constructor(private readonly work: (key: K, items: I[]) => Promise<R>) {}

  call(key: K, item: I): Promise<R> {
    const slot = this.slots.get(key);
    if (!slot) {
      const started = { next: null };
      this.slots.set(key, started);
      return this.run(key, started, [item]);
    }
    if (slot.next) {
      slot.next.items.push(item);
      return slot.next.promise;
    }
    let resolve!: (value: R) => void;
    let reject!: (reason: unknown) => void;
    const promise = new Promise<R>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    slot.next = { items: [item], promise, resolve, reject };
    return promise;
  }

  private run(key: K, slot: { next: Pending<I, R> | null }, items: I[]): Promise<R> {
    let running: Promise<R>;
    try {
      running = this.work(key, items);
    } catch (error) {
      running = Promise.reject(error);
    }
    const after = () => {
      const next = slot.next;
      if (!next) {
        this.slots.delete(key);
        return;
      }
      slot.next = null;
      this.run(key, slot, next.items).then(next.resolve, next.reject);
    };
    // Started from the loop's check phase: every request read in the same turn as this run's
    // answer joins the next run instead of waiting for the one after it.
    const later = () => void setImmediate(after);
    running.then(later, later);
    return running;
  }
}
