import type { ProjectEvent, QuotaLimits } from '@lbaas/events';

/** Projects that have quota limits set explicitly (the others use the configured defaults). */
export type ProjectsView = { quotas: Map<string, QuotaLimits> };

export const initialProjects = (): ProjectsView => ({ quotas: new Map() });

/** Folds one project event into the view (in place; deterministic, no I/O). */
export function evolveProjects(view: ProjectsView, event: ProjectEvent): ProjectsView {
  switch (event.type) {
    case 'ProjectQuotaSet': {
      const next: Record<string, number | null> = { ...(view.quotas.get(event.data.projectId) ?? {}) };
      for (const [k, v] of Object.entries(event.data.limits)) {
        if (v === null) delete next[k];
        else next[k] = v;
      }
      view.quotas.set(event.data.projectId, next);
      break;
    }
    case 'ProjectQuotaReset':
      view.quotas.set(event.data.projectId, {});
      break;
  }
  return view;
}
