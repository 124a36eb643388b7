import type { L7Event } from '@lbaas/events';
import { clean, stamp, touch, type L7PolicyView, type LoadBalancersView, type LoadBalancerView } from './load-balancer-view';

export type { L7PolicyView, L7RuleView } from './load-balancer-view';

/** A listener's policies in position order. */
export const listenerPolicies = (lb: LoadBalancerView, listenerId: string): L7PolicyView[] =>
  [...lb.l7Policies.values()].filter((p) => p.listenerId === listenerId).sort((a, b) => a.position - b.position);

/** Puts `policy` at `position` (clamped to the end) among its listener's policies and renumbers them 1..n (Octavia's ordering list). */
const place = (lb: LoadBalancerView, policy: L7PolicyView, position: number): void => {
  const others = listenerPolicies(lb, policy.listenerId).filter((p) => p.l7PolicyId !== policy.l7PolicyId);
  const at = Math.max(0, Math.min(position - 1, others.length));
  others.splice(at, 0, policy);
  others.forEach((p, i) => { p.position = i + 1; });
};
const renumber = (lb: LoadBalancerView, listenerId: string): void => {
  listenerPolicies(lb, listenerId).forEach((p, i) => { p.position = i + 1; });
};

/** Removes a policy and its rules from the view. */
export const dropL7Policy = (view: LoadBalancersView, lb: LoadBalancerView, id: string): void => {
  const p = lb.l7Policies.get(id);
  if (!p) return;
  for (const r of p.ruleIds) { lb.l7Rules.delete(r); view.owner.delete(r); }
  lb.l7Policies.delete(id);
  view.owner.delete(id);
  renumber(lb, p.listenerId);
};

/** Folds one L7 event into its tree (the version was already advanced by the caller). */
export function evolveL7(view: LoadBalancersView, lb: LoadBalancerView, event: L7Event): void {
  switch (event.type) {
    case 'L7PolicyCreated': {
      const { at, ...rest } = event.data;
      const p: L7PolicyView = { ...rest, tags: [...rest.tags], ruleIds: [], ...stamp(lb, at) };
      lb.l7Policies.set(p.l7PolicyId, p);
      view.owner.set(p.l7PolicyId, lb.lbId);
      place(lb, p, rest.position);
      break;
    }
    case 'L7PolicySettingsChanged': {
      const p = lb.l7Policies.get(event.data.l7PolicyId);
      if (!p) break;
      Object.assign(p, clean(event.data.changes));
      if (event.data.changes.position !== undefined) place(lb, p, event.data.changes.position);
      touch(p, lb, event.data.at);
      break;
    }
    case 'L7PolicyDeleted':
      dropL7Policy(view, lb, event.data.l7PolicyId);
      break;
    case 'L7RuleCreated': {
      const { at, ...rest } = event.data;
      const p = lb.l7Policies.get(rest.l7PolicyId);
      if (!p) break;
      lb.l7Rules.set(rest.l7RuleId, { ...rest, tags: [...rest.tags], ...stamp(lb, at) });
      p.ruleIds.push(rest.l7RuleId);
      view.owner.set(rest.l7RuleId, lb.lbId);
      touch(p, lb, at);
      break;
    }
    case 'L7RuleSettingsChanged': {
      const r = lb.l7Rules.get(event.data.l7RuleId);
      if (r) { Object.assign(r, clean(event.data.changes)); touch(r, lb, event.data.at); }
      const p = lb.l7Policies.get(event.data.l7PolicyId);
      if (p) touch(p, lb, event.data.at);
      break;
    }
    case 'L7RuleDeleted': {
      lb.l7Rules.delete(event.data.l7RuleId);
      view.owner.delete(event.data.l7RuleId);
      const p = lb.l7Policies.get(event.data.l7PolicyId);
      if (p) { p.ruleIds = p.ruleIds.filter((id) => id !== event.data.l7RuleId); touch(p, lb, event.data.at); }
      break;
    }
  }
  touch(lb, lb, event.data.at);
}
