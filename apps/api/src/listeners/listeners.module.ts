import { Body, Controller, Delete, Get, HttpCode, Inject, Module, Param, Post, Put, Query, Req } from '@nestjs/common';
import { CONFIG, PROJECTION, SECRET_STORE, newId } from '@lbaas/app-shell';
import { checkTlsRefs } from '../secrets/tls-refs';
import { loadBalancer } from '@lbaas/domain';
import type { CreateListener, DeleteListener, UpdateListener } from '@lbaas/events';
import type { SecretStore } from '@lbaas/secret-store';
import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config';
import { fieldsOf, listResponse, type Query as Q } from '../shell/listing';
import { allLbs, lbOf, listenerOf } from '../shell/lookup';
import type { ReadModel } from '../shell/read-model';
import { actorOf, noteLb, selfUrl } from '../shell/request-context';
import { parseBody } from '../shell/validation';
import { selectFields } from '../shell/wire';
import { Writes } from '../shell/writes';
import { checkQuota } from '../quotas/quota';
import { rememberDeleted, showChild } from '../shell/tombstones';
import { fetchStats } from '../loadbalancers/stats';
import { AGENT_QUERIES, type AgentQueries } from '../shell/agent-queries';
import { ListenerCreateBody, ListenerUpdateBody } from './listener.dto';
import { LISTENER_FILTER_KEYS, listenerChanges, listenerSettings, renderListener } from './listener.wire';

@Controller(['v2/lbaas/listeners', 'v2.0/lbaas/listeners'])
export class ListenersController {
  constructor(
    @Inject(PROJECTION) private readonly view: ReadModel,
    @Inject(CONFIG) private readonly config: ApiConfig,
    @Inject(SECRET_STORE) private readonly secrets: SecretStore | null,
    private readonly writes: Writes,
    @Inject(AGENT_QUERIES) private readonly ask: AgentQueries,
  ) {}

  @Get()
  list(@Req() req: FastifyRequest, @Query() q: Q) {
    const items = allLbs(this.view.catalog).flatMap((lb) =>
      [...lb.listeners.values()].map((l) => ({ wire: () => renderListener(lb, l), extra: { id: l.listenerId, name: l.name, loadbalancer_id: lb.lbId, project_id: lb.projectId, tags: l.tags } })));
    return listResponse('listeners', items, q, selfUrl(req, this.config), LISTENER_FILTER_KEYS);
  }

  @Get(':id')
  show(@Param('id') id: string, @Query() q: Q) {
    return { listener: selectFields(showChild(this.view.catalog, id, () => listenerOf(this.view.catalog, id), (found) => renderListener(found.lb, found.listener)), fieldsOf(q)) };
  }

  @Get(':id/stats')
  async stats(@Param('id') id: string) {
    const { lb, listener } = listenerOf(this.view.catalog, id);
    return { stats: (await fetchStats(lb, this.ask)).get(listener.listenerId) };
  }

  @Post()
  @HttpCode(201)
  async create(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = parseBody(ListenerCreateBody, body, 'listener_', 'listener');
    const lb = lbOf(this.view.catalog, b.loadbalancer_id);
    noteLb(req, lb.lbId);
    checkQuota(this.view.catalog, this.config.quotaDefaults, lb.projectId, { listener: 1 });
    const command: CreateListener = {
      type: 'CreateListener',
      data: { lbId: lb.lbId, listenerId: newId(), protocol: b.protocol, protocolPort: b.protocol_port, ...listenerSettings(b) },
      metadata: this.writes.metadata(),
    };
    await checkTlsRefs(this.secrets, command.data);
    await this.writes.run({ aggregate: 'lb', id: lb.lbId }, loadBalancer, command, actorOf(req, lb.projectId));
    return this.render(command.data.listenerId);
  }

  @Put(':id')
  async update(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown) {
    const { lb, listener } = listenerOf(this.view.catalog, id);
    noteLb(req, lb.lbId);
    const b = parseBody(ListenerUpdateBody, body, 'listener_', 'listener');
    const command: UpdateListener = {
      type: 'UpdateListener', data: { lbId: lb.lbId, listenerId: listener.listenerId, changes: listenerChanges(b) }, metadata: this.writes.metadata(),
    };
    await checkTlsRefs(this.secrets, command.data.changes);
    await this.writes.run({ aggregate: 'lb', id: lb.lbId }, loadBalancer, command, actorOf(req, lb.projectId));
    return this.render(listener.listenerId);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Req() req: FastifyRequest, @Param('id') id: string): Promise<void> {
    const { lb, listener } = listenerOf(this.view.catalog, id);
    noteLb(req, lb.lbId);
    const command: DeleteListener = { type: 'DeleteListener', data: { lbId: lb.lbId, listenerId: listener.listenerId }, metadata: this.writes.metadata() };
    const last = renderListener(lb, listener);
    await this.writes.run({ aggregate: 'lb', id: lb.lbId }, loadBalancer, command, actorOf(req, lb.projectId));
    rememberDeleted(listener.listenerId, lb, last);
  }

  private render(listenerId: string) {
    const { lb, listener } = listenerOf(this.view.catalog, listenerId);
    return { listener: renderListener(lb, listener) };
  }
}

@Module({ controllers: [ListenersController] })
export class ListenersModule {}
