import type { AppMetrics } from '@lbaas/app-shell';
import type { AppendObservation, EventStoreObserver } from '@lbaas/event-store';
import type { FailoverLoop } from './failover.loop';

/**
 * The failover-watcher's metrics: agents up and down as the stream tells it, declarations this watcher made, and the
 * heartbeats it hears (accepted from registered agents, rejected from unknown or malformed ones).
 */
export function watcherMetrics(m: AppMetrics, loop: () => FailoverLoop | null): EventStoreObserver {
  m.gauge('lbaas_watcher_agents', 'Registered agents by state (up, down), as the stream tells it', ['state'], (g) => {
    const states = [...(loop()?.agentStates.values() ?? [])];
    g.set({ state: 'up' }, states.filter((s) => s === 'up').length);
    g.set({ state: 'down' }, states.filter((s) => s === 'down').length);
  });
  m.gauge('lbaas_watcher_heartbeats', 'Heartbeats heard since the start, by outcome (accepted, rejected); use rate()', ['outcome'], (g) => {
    const h = loop()?.heartbeats ?? { accepted: 0, rejected: 0 };
    g.set({ outcome: 'accepted' }, h.accepted);
    g.set({ outcome: 'rejected' }, h.rejected);
  });
  const declared = m.counter('lbaas_watcher_declarations_total', 'Agents this watcher declared down or up', ['state']);
  declared.inc({ state: 'down' }, 0);
  declared.inc({ state: 'up' }, 0);
  return {
    read: m.eventStore.read,
    appended: (o: AppendObservation) => {
      m.eventStore.appended(o);
      if (o.outcome !== 'ok') return;
      for (const e of o.commit.events) {
        if (e.type === 'AgentDeclaredDown') declared.inc({ state: 'down' });
        if (e.type === 'AgentDeclaredUp') declared.inc({ state: 'up' });
      }
    },
  };
}
