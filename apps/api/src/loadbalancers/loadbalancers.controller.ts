import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AGENT_QUERIES, type AgentQueries } from '../http/agent-queries';
import { listResponse, type Query as Q, single } from '../http/listing';
import { Lookup } from '../http/lookup';
import { Writes } from '../http/writes';
import { CreateLoadBalancerSaga } from './create-load-balancer.saga';
import { failOver } from './failover';
import { LOAD_BALANCER, renderLoadBalancer } from './load-balancer.fields';
import { renderGraph, renderStatusTree } from './load-balancer.render';
import { fetchStats, sumStats } from './stats';
import { Policy } from '../http/policy-guard';

const one = (q: Q, key: string): string | null => (typeof q[key] === 'string' ? (q[key] as string) : null);

@Controller(['v2/lbaas/loadbalancers', 'v2.0/lbaas/loadbalancers'])
export class LoadBalancersController {
  constructor(
    private readonly lookup: Lookup,
    private readonly writes: Writes,
    private readonly create: CreateLoadBalancerSaga,
    @Inject(AGENT_QUERIES) private readonly ask: AgentQueries,
  ) {}

  @Get()
  @Policy('os_load-balancer_api:loadbalancer:get_all')
  list(@Req() req: FastifyRequest) {
    // The CLI finds objects by ?id= and ?name=: narrow on those first (10,000 trees are common).
    const q = req.query as Q;
    const id = one(q, 'id'), name = one(q, 'name');
    const lbs = id !== null ? [this.lookup.visibleLb(id)].filter((lb) => lb !== undefined) : this.lookup.lbs().filter((lb) => name === null || lb.name === name);
    return listResponse('loadbalancers', lbs, LOAD_BALANCER, req);
  }

  @Get(':id')
  @Policy('os_load-balancer_api:loadbalancer:get_one')
  show(@Req() req: FastifyRequest, @Param('id') id: string) {
    return single('loadbalancer', renderLoadBalancer(this.lookup.lb(id)), req);
  }

  @Get([':id/status', ':id/statuses'])
  @Policy('os_load-balancer_api:loadbalancer:get_status')
  status(@Param('id') id: string) {
    return renderStatusTree(this.lookup.lb(id));
  }

  @Get(':id/stats')
  @Policy('os_load-balancer_api:loadbalancer:get_stats')
  async stats(@Param('id') id: string) {
    return { stats: sumStats((await fetchStats(this.lookup.lb(id), this.ask)).values()) };
  }

  /** The create saga (create-load-balancer.saga.ts); the answer is the new tree, in full for a graph create. */
  @Post()
  @Policy('os_load-balancer_api:loadbalancer:post')
  @HttpCode(201)
  async add(@Req() req: FastifyRequest, @Body() body: unknown) {
    const { lbId, graph } = await this.create.run(req, body);
    const lb = this.lookup.lb(lbId);
    return { loadbalancer: graph ? renderGraph(lb) : renderLoadBalancer(lb, 'create') };
  }

  @Put(':id')
  @Policy('os_load-balancer_api:loadbalancer:put')
  async update(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown) {
    const lb = this.lookup.lb(id);
    const changes = LOAD_BALANCER.changes(LOAD_BALANCER.parseUpdate(body));
    await this.writes.lb(req, lb, { type: 'UpdateLoadBalancer', data: { lbId: lb.lbId, changes } });
    return { loadbalancer: renderLoadBalancer(this.lookup.lb(lb.lbId)) };
  }

  @Delete(':id')
  @Policy('os_load-balancer_api:loadbalancer:delete')
  @HttpCode(204)
  async remove(@Req() req: FastifyRequest, @Param('id') id: string, @Query() q: Q): Promise<void> {
    const lb = this.lookup.lb(id);
    const raw = Array.isArray(q.cascade) ? q.cascade[0] : q.cascade;
    const cascade = raw !== undefined && /^(true|1|yes)$/i.test(raw);
    await this.writes.lb(req, lb, { type: 'DeleteLoadBalancer', data: { lbId: lb.lbId, cascade } });
  }

  /**
   * Octavia's operator failover (202): moves one load balancer to another live agent with epoch + 1 (issue 4). Admin
   * only (http/policy.ts; noauth: everybody is admin).
   */
  @Put(':id/failover')
  @Policy('os_load-balancer_api:loadbalancer:put_failover')
  @HttpCode(202)
  async failover(@Req() req: FastifyRequest, @Param('id') id: string): Promise<void> {
    await failOver(req, this.lookup.lb(id), this.lookup, this.writes);
  }
}
