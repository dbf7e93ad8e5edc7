// Contradictory actions in force at once (DECISIONS.md, evaluation report: `contradictoryPairs`), which
// the closed-loop runner counts after every plan change.
import type { PlanAction, StationPlan } from '../../eventBus/types.js';

/** Resources whose claims have a direction: opposite signs in force at once contradict (curtail vs boost, prioritise vs defer). */
const DIRECTIONAL = ['charging.rate', 'service.capacity'];

export function contradictions(plan: StationPlan): [PlanAction, PlanAction][] {
  const out: [PlanAction, PlanAction][] = [];
  const live = plan.actions.filter((a) => a.status === 'active');
  for (let i = 0; i < live.length; i++) {
    for (let j = i + 1; j < live.length; j++) {
      const a = live[i]!;
      const b = live[j]!;
      if (DIRECTIONAL.some((r) => (a.claims[r] ?? 0) * (b.claims[r] ?? 0) < 0)) out.push([a, b]);
    }
  }
  return out;
}
