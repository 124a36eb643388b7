import { Body, Controller, Delete, Get, HttpCode, Inject, Module, Param, Post, Put, Query, Req } from '@nestjs/common';
import { CONFIG, PROJECTION, newId } from '@lbaas/app-shell';
import { batchMemberIncrease, checkMemberSubnet, loadBalancer, MEMBER_DEFAULTS } from '@lbaas/domain';
import type { BatchUpdateMembers, CreateMember, DeleteMember, MemberSettings, UpdateMember } from '@lbaas/events';
import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config';
import { ApiError, invalidInput, unknownAttribute } from '../shell/errors';
import { fieldsOf, listResponse, type Query as Q } from '../shell/listing';
import { memberOf, poolOf } from '../shell/lookup';
import type { ReadModel } from '../shell/read-model';
import { actorOf, noteLb, selfUrl } from '../shell/request-context';
import { parseAttributes, parseBody } from '../shell/validation';
import { selectFields } from '../shell/wire';
import { Writes } from '../shell/writes';
import { rememberDeleted, showChild } from '../shell/tombstones';
import { checkQuota } from '../quotas/quota';
import { MemberCreateBody, MemberUpdateBody } from './member.dto';
import { MEMBER_FILTER_KEYS, checkNotReserved, renderMember } from './member.wire';

@Controller(['v2/lbaas/pools/:poolId/members', 'v2.0/lbaas/pools/:poolId/members'])
export class MembersController {
  constructor(
    @Inject(PROJECTION) private readonly view: ReadModel,
    @Inject(CONFIG) private readonly config: ApiConfig,
    private readonly writes: Writes,
  ) {}

  @Get()
  list(@Req() req: FastifyRequest, @Param('poolId') poolId: string, @Query() q: Q) {
    let found;
    try {
      found = poolOf(this.view.catalog, poolId);
    } catch {
      // Octavia answers this one in pecan's style, title and all (octavia-wire.md).
      throw new ApiError(404, `Pool ${poolId} not found.`, 'pecan', 'Bad Request');
    }
    const { lb, pool } = found;
    const items = pool.memberIds.flatMap((id) => {
      const m = lb.members.get(id);
      return m ? [{ wire: renderMember(lb, m) }] : [];
    });
    return listResponse('members', items, q, selfUrl(req, this.config), MEMBER_FILTER_KEYS);
  }

  @Get(':id')
  show(@Param('poolId') poolId: string, @Param('id') id: string, @Query() q: Q) {
    return { member: selectFields(showChild(this.view.catalog, id, () => memberOf(this.view.catalog, poolId, id), (found) => renderMember(found.lb, found.member)), fieldsOf(q)) };
  }

  @Post()
  @HttpCode(201)
  async create(@Req() req: FastifyRequest, @Param('poolId') poolId: string, @Body() body: unknown) {
    const b = parseBody(MemberCreateBody, body, 'member_', 'member');
    const { lb, pool } = poolOf(this.view.catalog, poolId);
    noteLb(req, lb.lbId);
    checkNotReserved(b.address, 'member address');
    checkNotReserved(b.monitor_address, 'monitor address');
    checkMemberSubnet(b.subnet_id, (id) => this.view.catalog.networks.subnets.has(id));
    checkQuota(this.view.catalog, this.config.quotaDefaults, lb.projectId, { member: 1 });
    const command: CreateMember = {
      type: 'CreateMember',
      data: {
        lbId: lb.lbId, poolId: pool.poolId, memberId: newId(), address: b.address, protocolPort: b.protocol_port, subnetId: b.subnet_id ?? null,
        name: b.name ?? '', adminStateUp: b.admin_state_up ?? true, weight: b.weight ?? MEMBER_DEFAULTS.weight, backup: b.backup ?? false,
        monitorAddress: b.monitor_address ?? null, monitorPort: b.monitor_port ?? null, tags: b.tags ?? [],
      },
      metadata: this.writes.metadata(),
    };
    await this.writes.run({ aggregate: 'lb', id: lb.lbId }, loadBalancer, command, actorOf(req, lb.projectId));
    return this.render(pool.poolId, command.data.memberId);
  }

  /**
   * Octavia's batch update: the pool's members become the listed ones (matched by address and port; the others are
   * deleted unless ?additive_only=true). One commit; 202 with an empty body.
   */
  @Put()
  @HttpCode(202)
  async batch(@Req() req: FastifyRequest, @Param('poolId') poolId: string, @Query() q: Q, @Body() body: unknown): Promise<void> {
    const { lb, pool } = poolOf(this.view.catalog, poolId);
    noteLb(req, lb.lbId);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidInput('members', body ?? null, 'Mandatory field missing.');
    const extra = Object.keys(body).filter((k) => k !== 'members');
    if (extra.length) throw unknownAttribute('member_', extra);
    const raw = (body as { members?: unknown }).members;
    if (!Array.isArray(raw)) throw invalidInput('members', raw ?? null, raw === undefined || raw === null ? 'Mandatory field missing.' : 'Value should be a list');
    const members = raw.map((m) => {
      const b = parseAttributes(MemberCreateBody, m, 'member_', 'member');
      checkNotReserved(b.address, 'member address');
      checkNotReserved(b.monitor_address, 'monitor address');
      checkMemberSubnet(b.subnet_id, (id) => this.view.catalog.networks.subnets.has(id));
      const settings: Partial<Record<keyof MemberSettings, unknown>> = {};
      if ('name' in b) settings.name = b.name ?? '';
      if ('admin_state_up' in b) settings.adminStateUp = b.admin_state_up ?? true;
      if ('weight' in b) settings.weight = b.weight ?? MEMBER_DEFAULTS.weight;
      if ('backup' in b) settings.backup = b.backup ?? false;
      if ('monitor_address' in b) settings.monitorAddress = b.monitor_address ?? null;
      if ('monitor_port' in b) settings.monitorPort = b.monitor_port ?? null;
      if ('tags' in b) settings.tags = b.tags ?? [];
      return { memberId: newId(), address: b.address, protocolPort: b.protocol_port, subnetId: b.subnet_id ?? null, settings: settings as Partial<MemberSettings> };
    });
    const rawAdditive = Array.isArray(q.additive_only) ? q.additive_only[0] : q.additive_only;
    const additiveOnly = rawAdditive !== undefined && /^(true|1|yes)$/i.test(rawAdditive);
    // Quota on the net increase (Octavia).
    const current = pool.memberIds.flatMap((id) => lb.members.get(id) ?? []);
    checkQuota(this.view.catalog, this.config.quotaDefaults, lb.projectId, { member: batchMemberIncrease(current, members, additiveOnly) });
    const command: BatchUpdateMembers = {
      type: 'BatchUpdateMembers',
      data: { lbId: lb.lbId, poolId: pool.poolId, additiveOnly, members },
      metadata: this.writes.metadata(),
    };
    await this.writes.run({ aggregate: 'lb', id: lb.lbId }, loadBalancer, command, actorOf(req, lb.projectId));
  }

  @Put(':id')
  async update(@Req() req: FastifyRequest, @Param('poolId') poolId: string, @Param('id') id: string, @Body() body: unknown) {
    const { lb, pool, member } = memberOf(this.view.catalog, poolId, id);
    noteLb(req, lb.lbId);
    const b = parseBody(MemberUpdateBody, body, 'member_', 'member');
    checkNotReserved(b.monitor_address, 'monitor address');
    const changes: Partial<Record<keyof MemberSettings, unknown>> = {};
    if ('name' in b) changes.name = b.name ?? '';
    if ('admin_state_up' in b) changes.adminStateUp = b.admin_state_up ?? true;
    if ('weight' in b) changes.weight = b.weight ?? MEMBER_DEFAULTS.weight;
    if ('backup' in b) changes.backup = b.backup ?? false;
    if ('monitor_address' in b) changes.monitorAddress = b.monitor_address ?? null;
    if ('monitor_port' in b) changes.monitorPort = b.monitor_port ?? null;
    if ('tags' in b) changes.tags = b.tags ?? [];
    const command: UpdateMember = {
      type: 'UpdateMember',
      data: { lbId: lb.lbId, poolId: pool.poolId, memberId: member.memberId, changes: changes as Partial<MemberSettings> },
      metadata: this.writes.metadata(),
    };
    await this.writes.run({ aggregate: 'lb', id: lb.lbId }, loadBalancer, command, actorOf(req, lb.projectId));
    return this.render(pool.poolId, member.memberId);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Req() req: FastifyRequest, @Param('poolId') poolId: string, @Param('id') id: string): Promise<void> {
    const { lb, pool, member } = memberOf(this.view.catalog, poolId, id);
    noteLb(req, lb.lbId);
    const command: DeleteMember = {
      type: 'DeleteMember', data: { lbId: lb.lbId, poolId: pool.poolId, memberId: member.memberId }, metadata: this.writes.metadata(),
    };
    const last = renderMember(lb, member);
    await this.writes.run({ aggregate: 'lb', id: lb.lbId }, loadBalancer, command, actorOf(req, lb.projectId));
    rememberDeleted(member.memberId, lb, last);
  }

  private render(poolId: string, memberId: string) {
    const { lb, member } = memberOf(this.view.catalog, poolId, memberId);
    return { member: renderMember(lb, member) };
  }
}

@Module({ controllers: [MembersController] })
export class MembersModule {}
