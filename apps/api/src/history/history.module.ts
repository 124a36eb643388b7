import { Controller, Get, Inject, Module, Param, Req } from '@nestjs/common';
import { EVENT_STORE } from '@lbaas/app-shell';
import { isUuid } from '@lbaas/contracts';
import type { EventStore } from '@lbaas/event-store';
import type { FastifyRequest } from 'fastify';
import { notFound } from '../shell/errors';
import { actorOf } from '../shell/request-context';

/**
 * An extension beyond Octavia, for auditors: what happened to one load balancer and its children, in order, with
 * who did it. Read from the event store itself (so a deleted load balancer keeps its history). Admins see every
 * tree; anybody else only the trees of their own project (another project's tree is a 404, as in Octavia).
 */
@Controller(['v2/lbaas/loadbalancers/:id/history', 'v2.0/lbaas/loadbalancers/:id/history'])
export class HistoryController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  @Get()
  async history(@Req() req: FastifyRequest, @Param('id') id: string) {
    if (!isUuid(id)) throw notFound('Load Balancer', id);
    const { commits } = await this.store.read({ aggregate: 'lb', id: id.toLowerCase() });
    const created = commits[0]?.events.find((e) => e.type === 'LoadBalancerCreated')?.data as { projectId?: string } | undefined;
    const caller = actorOf(req);
    const allowed = caller.roles?.includes('admin') || (caller.projectId !== undefined && caller.projectId === created?.projectId);
    if (!created || !allowed) throw notFound('Load Balancer', id);
    return {
      history: commits.map((c) => ({
        sequence: c.seq,
        at: c.at,
        commit_id: c.commitId,
        actor: {
          kind: c.actor.kind, service: c.actor.service, project_id: c.actor.projectId ?? null, user_id: c.actor.userId ?? null,
          roles: c.actor.roles ?? [], request_id: c.actor.requestId ?? null, client_address: c.actor.clientAddress ?? null,
          operation: c.actor.operation ?? null,
        },
        events: c.events.map((e) => ({ type: e.type, version: e.v, data: e.data })),
      })),
    };
  }
}

@Module({ controllers: [HistoryController] })
export class HistoryModule {}
