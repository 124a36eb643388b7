import { Controller, Get, Param } from '@nestjs/common';
import { Lookup } from '../http/lookup';
import { Policy } from '../http/policy-guard';

/**
 * An extension beyond Octavia, for auditors: what happened to one load balancer and its children, in order, with
 * who did it (the validated identity: user, project, roles, the token's audit id) and from where. Read from the
 * event store itself (so a deleted load balancer keeps its history), through the lookup:
 * another project's tree is a 404, as in Octavia.
 */
@Controller(['v2/lbaas/loadbalancers/:id/history', 'v2.0/lbaas/loadbalancers/:id/history'])
export class HistoryController {
  constructor(private readonly lookup: Lookup) {}

  @Get()
  @Policy('lbaas:loadbalancer:get_history')
  async history(@Param('id') id: string) {
    const commits = await this.lookup.history(id);
    return {
      history: commits.map((c) => ({
        sequence: c.seq,
        at: c.at,
        commit_id: c.commitId,
        actor: {
          kind: c.actor.kind, service: c.actor.service, project_id: c.actor.projectId ?? null, user_id: c.actor.userId ?? null,
          user_name: c.actor.userName ?? null, roles: c.actor.roles ?? [], audit_id: c.actor.auditId ?? null, auth: c.actor.auth ?? null,
          request_id: c.actor.requestId ?? null, client_address: c.actor.clientAddress ?? null, operation: c.actor.operation ?? null,
        },
        events: c.events.map((e) => ({ type: e.type, version: e.v, data: e.data })),
      })),
    };
  }
}
