import { Controller, Get, HttpCode, Inject, Param, Put, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Policy } from '../http/policy-guard';
import { AGENT_QUERIES, type AgentQueries } from '../http/agent-queries';
import { ApiError } from '../http/errors';
import { listResponse, single } from '../http/listing';
import { Lookup } from '../http/lookup';
import { Writes } from '../http/writes';
import { failOver } from '../loadbalancers/failover';
import { fetchStats } from '../loadbalancers/stats';
import { AMPHORA } from './amphora.fields';

/** How long `config` waits for the hosting agent to take the wake-up. */
const RECONCILE_TIMEOUT_MS = 5_000;

/**
 * Octavia's amphora admin API (`/v2/octavia/amphorae`, and `/v2.0/...` where the CLI sends it): the running instances of
 * the load balancers (amphora.ts). Every route is admin only: `os_load-balancer_api:amphora:get_all`, `...:get_one`,
 * `...:put_failover`, `...:put_config`, `...:get_stats` (noauth: everybody is admin; issue 9 enforces the table).
 */
@Controller(['v2/octavia/amphorae', 'v2.0/octavia/amphorae'])
export class AmphoraeController {
  constructor(private readonly lookup: Lookup, private readonly writes: Writes, @Inject(AGENT_QUERIES) private readonly ask: AgentQueries) {}

  @Get()
  @Policy('os_load-balancer_api:amphora:get_all')
  list(@Req() req: FastifyRequest) {
    return listResponse('amphorae', this.lookup.amphorae(), AMPHORA, req);
  }

  @Get(':id')
  @Policy('os_load-balancer_api:amphora:get_one')
  show(@Req() req: FastifyRequest, @Param('id') id: string) {
    return single('amphora', AMPHORA.render(this.lookup.amphora(id)), req);
  }

  /**
   * Rebuilds this instance elsewhere: STANDALONE, the load balancer's failover (a new placement, epoch + 1; a new amphora);
   * MASTER, the pair's failover (the standby promoted, then a new standby); BACKUP, a new standby on another host, the
   * master untouched (failover.ts). 202.
   */
  @Put(':id/failover')
  @HttpCode(202)
  @Policy('os_load-balancer_api:amphora:put_failover')
  async failover(@Req() req: FastifyRequest, @Param('id') id: string): Promise<void> {
    const a = this.lookup.amphora(id);
    await failOver(req, a.lb, this.lookup, this.writes, a.role === 'BACKUP' ? 'standby' : 'master');
  }

  /**
   * Re-push: the hosting agent reconciles this load balancer now (re-observes the host, re-renders, repairs drift). A
   * wake-up, not history, so it is a request/reply to the agent (`lbaas.rpc.agent.<id>.reconcile`, DESIGN §2) rather than a
   * commit: nothing about the desired state changes, and an answer says the agent took it. 202; 503 when it does not answer.
   */
  @Put(':id/config')
  @HttpCode(202)
  @Policy('os_load-balancer_api:amphora:put_config')
  async config(@Param('id') id: string): Promise<void> {
    const a = this.lookup.amphora(id);
    if (a.status === 'PENDING_DELETE') throw new ApiError(409, `Invalid state PENDING_DELETE of amphora resource ${a.amphoraId}`);
    const answer = await this.ask(a.agentId, 'reconcile', { lbId: a.lb.lbId }, RECONCILE_TIMEOUT_MS).catch(() => null);
    if (!(answer as { accepted?: unknown } | null)?.accepted) {
      throw new ApiError(503, `Amphora ${a.amphoraId}: agent ${a.agentId} did not take the configuration update; try again.`);
    }
  }

  /** Octavia's amphora_stats: one entry per listener of its load balancer, the counters of this instance's haproxy. */
  @Get(':id/stats')
  @Policy('os_load-balancer_api:amphora:get_stats')
  async stats(@Param('id') id: string) {
    const a = this.lookup.amphora(id);
    const stats = await fetchStats(a.lb, this.ask);
    return {
      amphora_stats: [...stats].map(([listenerId, s]) => ({ id: a.amphoraId, listener_id: listenerId, loadbalancer_id: a.lb.lbId, ...s })),
    };
  }
}
