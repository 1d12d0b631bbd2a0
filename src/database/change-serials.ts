import { LRUCache } from 'lru-cache';

/**
 * An account's change serials as read with the account itself, for each request (migration
 * ChangeSerials; a read-only request may share a read sent within the coherence window before it
 * arrived, see AccountsRepository): `auth` moves with every write that changes what a credential
 * resolves to or what a bearer may see, `catalog` with every write to the account's packages,
 * releases and artifacts.
 */
export interface ChangeSerials {
  auth: number;
  catalog: number;
}

/**
 * A bounded in-process cache whose entries are valid only under the serial they were computed
 * with. Nothing here is authoritative: an entry answers only when the caller's serial, read from
 * PostgreSQL for this request, is the one stored with it, so a write on any instance retires it
 * on every instance by the next request sent after the write's answer. Entries may also carry
 * an instant after which they are stale (a time-dependent answer).
 */
export class SerialCache<V extends object> {
  private readonly entries: LRUCache<string, { serial: string; value: V; until: number }>;

  /** At most `max` entries; with `size`, also at most `maxSize` in the unit `size` counts (bytes, say). */
  constructor(max: number, bounds?: { maxSize: number; size: (value: V) => number }) {
    this.entries = bounds
      ? new LRUCache({ max, maxSize: bounds.maxSize, sizeCalculation: (entry) => Math.max(1, bounds.size(entry.value)) })
      : new LRUCache({ max });
  }

  get(key: string, serial: string, now = Date.now()): V | undefined {
    const entry = this.entries.get(key);
    if (!entry || entry.serial !== serial || entry.until <= now) return undefined;
    return entry.value;
  }

  set(key: string, serial: string, value: V, until = Number.POSITIVE_INFINITY): V {
    this.entries.set(key, { serial, value, until });
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}

/** The serial string a cache entry is checked against. */
export const serialKey = (...parts: Array<number | string>): string => parts.join(':');
