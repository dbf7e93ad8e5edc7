// The resource-claims convention: how a proposal says what it uses or changes,
// so the supervisor can find conflicts without knowing every action.
//
// Proposal.claims maps a resource to an amount:
// - 'power.kW'          signed change of the station's planned draw in kW
//                       (+ adds load, - sheds it). The grid-limit rule admits the
//                       positive ones while drawKW + sum <= limitKW.
// - 'charging.rate'     direction of pack charging: +1 speeds it up
//                       (boost_charging, prioritize_charging), -1 slows it
//                       (curtail_charging, defer_charging). Opposite signs conflict.
// - 'service.capacity'  direction of swap throughput: +1 open_bay, -1
//                       take_charger_offline (fewer packs recharged). Opposite signs conflict.
// - 'charger:<id>', 'battery:<id>'
//                       exclusive use of one unit (amount 1, e.g. maintenance or
//                       quarantine). Two proposals claiming one unit conflict.
// - 'bays'              closed bays to open; capacity bays.total - bays.open.
// - 'staff'             local staff a proposal puts to work; capacity is idle
//                       staff (staff.count - bays.open), unlimited while unknown.
// - 'packs'             charged packs leaving the station; capacity inventory.charged.
// - 'slots'             room for inbound packs (empty slots and depleted packs to exchange); capacity
//                       batterySlots - packs on site.
// - 'budget.incentive'  incentive money. Its capacity is the hour's remaining
//                       budget, carried by the offer as evidence.budgetRemaining;
//                       exceeding it sends the decision to an operator instead of
//                       rejecting the offer (AGENTS.md: "incentive above budget").
// - '<resource>@<stationId>'
//                       the same resources at another station (packs@S2 for a
//                       rebalance, staff@S2 for a diversion). Recorded for the
//                       audit, not checked here: this station's state cannot see them.
import type { Proposal, StationState } from '../eventBus/types.js';

export const DIRECTIONAL_RESOURCES: readonly string[] = ['charging.rate', 'service.capacity'];
export const EXCLUSIVE_PREFIXES: readonly string[] = ['charger:', 'battery:'];
export const CAPACITY_RESOURCES: readonly string[] = ['bays', 'staff', 'packs', 'slots'];

/** How much of a countable resource the station has free; null when unknown or unlimited. */
export function capacityOf(resource: string, state: StationState): number | null {
  switch (resource) {
    case 'bays':
      return Math.max(0, state.bays.total - state.bays.open);
    case 'staff':
      return state.staff.count === null ? null : Math.max(0, state.staff.count - state.bays.open);
    case 'packs':
      return state.inventory.updatedAt === null ? null : state.inventory.charged;
    case 'slots': {
      // A rebalance exchanges packs: the transport takes a depleted pack back for each charged one it
      // brings, so depleted packs count as room beside empty slots.
      const inv = state.inventory;
      if (inv.updatedAt === null) return null;
      return Math.max(0, state.capacity.batterySlots - (inv.charged + inv.charging + inv.faulty));
    }
    default:
      return null;
  }
}

/**
 * The resource on which two proposals conflict, or null: opposite directions on
 * a directional resource, two claims on one exclusive unit, or two claims on a
 * countable resource that fit alone but not together.
 */
export function conflictResource(a: Proposal, b: Proposal, state: StationState): string | null {
  for (const r of sharedResources(a, b)) {
    const x = a.claims[r]!;
    const y = b.claims[r]!;
    if (DIRECTIONAL_RESOURCES.includes(r)) {
      if (x * y < 0) return r;
    } else if (EXCLUSIVE_PREFIXES.some((p) => r.startsWith(p))) {
      if (x > 0 && y > 0) return r;
    } else if (CAPACITY_RESOURCES.includes(r)) {
      const cap = capacityOf(r, state);
      if (cap !== null && x > 0 && y > 0 && x <= cap && y <= cap && x + y > cap) return r;
    }
  }
  return null;
}

function sharedResources(a: Proposal, b: Proposal): string[] {
  return Object.keys(a.claims)
    .filter((r) => r in b.claims)
    .sort();
}
