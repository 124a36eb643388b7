import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Req } from '@nestjs/common';
import { newId } from '@lbaas/app-shell';
import type { FastifyRequest } from 'fastify';
import { AGENT_QUERIES, type AgentQueries } from '../http/agent-queries';
import { listResponse, single } from '../http/listing';
import { Lookup } from '../http/lookup';
import { Writes } from '../http/writes';
import { fetchStats } from '../loadbalancers/stats';
import { QuotaCheck } from '../quotas/quota';
import { checkTlsRefs } from '../secrets/tls-refs';
import { LISTENER } from './listener.fields';

@Controller(['v2/lbaas/listeners', 'v2.0/lbaas/listeners'])
export class ListenersController {
  constructor(
    private readonly lookup: Lookup,
    private readonly writes: Writes,
    private readonly quota: QuotaCheck,
    @Inject(AGENT_QUERIES) private readonly ask: AgentQueries,
  ) {}

  @Get()
  list(@Req() req: FastifyRequest) {
    return listResponse('listeners', this.lookup.listeners(), LISTENER, req);
  }

  @Get(':id')
  show(@Req() req: FastifyRequest, @Param('id') id: string) {
    return single('listener', this.lookup.shown('listener', id, () => this.lookup.listener(id), (x) => LISTENER.render(x)), req);
  }

  @Get(':id/stats')
  async stats(@Param('id') id: string) {
    const { lb, listener } = this.lookup.listener(id);
    return { stats: (await fetchStats(lb, this.ask)).get(listener.listenerId) };
  }

  @Post()
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
  async update(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown) {
    const { lb, listener } = this.lookup.listener(id);
    const changes = LISTENER.changes(LISTENER.parseUpdate(body));
    await checkTlsRefs(this.lookup, lb.projectId, changes);
    await this.writes.lb(req, lb, { type: 'UpdateListener', data: { lbId: lb.lbId, listenerId: listener.listenerId, changes } });
    return { listener: LISTENER.render(this.lookup.listener(listener.listenerId)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Req() req: FastifyRequest, @Param('id') id: string): Promise<void> {
    const { lb, listener } = this.lookup.listener(id);
    await this.writes.lb(req, lb, { type: 'DeleteListener', data: { lbId: lb.lbId, listenerId: listener.listenerId } });
  }
}
