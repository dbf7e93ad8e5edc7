// A station's packs on the shelf and on charge (not those in a bay's robot): which one a driver gets,
// which one a charger takes next, and the packs a rebalance transport takes away or brings.
import type { SignalPayloads } from '../eventBus/types.js';
import type { Pack } from './charger.js';

export class PackShelf {
  readonly packs: Pack[] = [];

  constructor(private readonly slots: number) {}

  charged(): number {
    let n = 0;
    for (const p of this.packs) if (p.state === 'charged') n += 1;
    return n;
  }

  stock(): SignalPayloads['battery_stock'] {
    const s = { charged: 0, charging: 0, depleted: 0, faulty: 0 };
    for (const p of this.packs) s[p.state] += 1;
    return s;
  }

  /** The healthiest charged pack, off the shelf, for a driver. */
  takeCharged(): Pack | null {
    let best = -1;
    for (let i = 0; i < this.packs.length; i++) {
      const p = this.packs[i];
      if (p?.state === 'charged' && (best < 0 || p.sohPct > (this.packs[best]?.sohPct ?? 0))) best = i;
    }
    return best < 0 ? null : (this.packs.splice(best, 1)[0] ?? null);
  }

  /**
   * Chargers take depleted packs in the order they came back; with charging prioritised (the plan) they
   * take the fullest first, which becomes sellable soonest.
   */
  takeDepleted(prioritize: boolean): Pack | null {
    let best: Pack | null = null;
    if (prioritize) {
      for (const p of this.packs) if (p.state === 'depleted' && (!best || p.soc > best.soc)) best = p;
    } else {
      best = this.packs.find((p) => p.state === 'depleted') ?? null;
    }
    if (best) best.state = 'charging';
    return best;
  }

  /** Sets aside the named packs not on charge (a quarantine in force). */
  quarantine(ids: Iterable<string>): void {
    for (const id of ids) {
      const pack = this.packs.find((p) => p.id === id);
      if (pack && pack.state !== 'charging') pack.state = 'faulty';
    }
  }

  /** Hands up to `n` charged packs to a transport; how many it got. */
  give(n: number): number {
    let given = 0;
    for (let i = this.packs.length - 1; i >= 0 && given < n; i--) {
      if (this.packs[i]!.state === 'charged') {
        this.packs.splice(i, 1);
        given += 1;
      }
    }
    return given;
  }

  /**
   * Takes `n` charged packs (made by `make`) into empty slots, and in exchange for depleted packs, which
   * the transport takes back; how many it took, and the depleted packs handed over.
   */
  receive(n: number, make: () => Pack): { taken: number; returned: Pack[] } {
    const returned: Pack[] = [];
    let taken = 0;
    for (; taken < n; taken++) {
      if (this.packs.length >= this.slots) {
        const i = this.packs.findIndex((p) => p.state === 'depleted');
        if (i < 0) break;
        returned.push(this.packs.splice(i, 1)[0]!);
      }
      const pack = make();
      pack.state = 'charged';
      this.packs.push(pack);
    }
    return { taken, returned };
  }

  /** Depleted packs a transport brings back, into empty slots; how many fitted. */
  takeBack(packs: readonly Pack[]): number {
    const room = Math.max(0, this.slots - this.packs.length);
    const fit = packs.slice(0, room);
    this.packs.push(...fit);
    return fit.length;
  }
}
