import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Req } from '@nestjs/common';
import { CONFIG, newId } from '@lbaas/app-shell';
import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config';
import { AGENT_QUERIES, type AgentQueries } from '../http/agent-queries';
import { listResponse, single } from '../http/listing';
import { Lookup } from '../http/lookup';
import { Writes } from '../http/writes';
import { fetchStats } from '../loadbalancers/stats';
import { QuotaCheck } from '../quotas/quota';
import { checkTlsRefs } from '../secrets/tls-refs';
import { LISTENER } from './listener.fields';
import { Policy } from '../http/policy-guard';

@Controller(['v2/lbaas/listeners', 'v2.0/lbaas/listeners'])
export class ListenersController {
  constructor(
    private readonly lookup: Lookup,
    private readonly writes: Writes,
    private readonly quota: QuotaCheck,
    @Inject(AGENT_QUERIES) private readonly ask: AgentQueries,
    @Inject(CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get()
  @Policy('os_load-balancer_api:listener:get_all')
  list(@Req() req: FastifyRequest) {
    return listResponse('listeners', this.lookup.listeners(), LISTENER, req);
  }

  @Get(':id')
  @Policy('os_load-balancer_api:listener:get_one')
  show(@Req() req: FastifyRequest, @Param('id') id: string) {
    return single('listener', this.lookup.shown('listener', id, () => this.lookup.listener(id), (x) => LISTENER.render(x)), req);
  }

  @Get(':id/stats')
  @Policy('os_load-balancer_api:listener:get_stats')
  async stats(@Param('id') id: string) {
    const { lb, listener } = this.lookup.listener(id);
    return { stats: (await fetchStats(lb, this.ask)).get(listener.listenerId) };
  }

  @Post()
  @Policy('os_load-balancer_api:listener:post')
  @HttpCode(201)
  async create(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = LISTENER.parseCreate(body);
    const lb = this.lookup.lb(b.loadbalancer_id);
    this.quota.check(lb.projectId, { listener: 1 });
    const data = { lbId: lb.lbId, listenerId: newId(), ...LISTENER.settings(b) };
    await checkTlsRefs(this.lookup, lb.projectId, data);
    await this.writes.lb(req, lb, { type: 'CreateListener', data });
    return { listener: LISTENER.render(this.lookup.listener(data.listenerId)) };
  }

  @Put(':id')
  @Policy('os_load-balancer_api:listener:put')
  async update(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown) {
    const { lb, listener } = this.lookup.listener(id);
    const changes = LISTENER.changes(LISTENER.parseUpdate(body));
    // A new CRL is checked against the CA the listener keeps, a new CA against the CRL it keeps.
    const caChanged = changes.clientCaTlsContainerRef !== undefined || changes.clientCrlContainerRef !== undefined;
    await checkTlsRefs(this.lookup, lb.projectId, {
      ...changes,
      ...(caChanged ? {
        clientCaTlsContainerRef: changes.clientCaTlsContainerRef !== undefined ? changes.clientCaTlsContainerRef : listener.clientCaTlsContainerRef,
        clientCrlContainerRef: changes.clientCrlContainerRef !== undefined ? changes.clientCrlContainerRef : listener.clientCrlContainerRef,
      } : { clientCaTlsContainerRef: null, clientCrlContainerRef: null }),
    });
    await this.writes.lb(req, lb, { type: 'UpdateListener', data: { lbId: lb.lbId, listenerId: listener.listenerId, changes } });
    return { listener: LISTENER.render(this.lookup.listener(listener.listenerId)) };
  }

  @Delete(':id')
  @Policy('os_load-balancer_api:listener:delete')
  @HttpCode(204)
  async remove(@Req() req: FastifyRequest, @Param('id') id: string): Promise<void> {
    const { lb, listener } = this.lookup.listener(id);
    await this.writes.lb(req, lb, { type: 'DeleteListener', data: { lbId: lb.lbId, listenerId: listener.listenerId, policy: this.config.deletePolicy } });
  }
}
