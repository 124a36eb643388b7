import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req } from '@nestjs/common';
import { newId } from '@lbaas/app-shell';
import { batchMemberIncrease } from '@lbaas/domain';
import type { FastifyRequest } from 'fastify';
import { ApiError, invalidInput, unknownAttribute } from '../http/errors';
import { listResponse, type Query as Q, single } from '../http/listing';
import { Lookup } from '../http/lookup';
import { Writes } from '../http/writes';
import { QuotaCheck } from '../quotas/quota';
import { checkNewMember, checkNotReserved, MEMBER } from './member.fields';
import { Policy } from '../http/policy-guard';

@Controller(['v2/lbaas/pools/:poolId/members', 'v2.0/lbaas/pools/:poolId/members'])
export class MembersController {
  constructor(private readonly lookup: Lookup, private readonly writes: Writes, private readonly quota: QuotaCheck) {}

  private readonly subnetExists = (id: string): boolean => this.lookup.visibleSubnet(id) !== undefined;

  @Get()
  @Policy('os_load-balancer_api:member:get_all')
  list(@Req() req: FastifyRequest, @Param('poolId') poolId: string) {
    let found;
    try {
      found = this.lookup.pool(poolId);
    } catch {
      // Octavia answers this one in pecan's style, title and all (octavia-wire.md).
      throw new ApiError(404, `Pool ${poolId} not found.`, 'pecan', 'Bad Request');
    }
    const { lb, pool } = found;
    const members = pool.memberIds.flatMap((id) => { const member = lb.members.get(id); return member ? [{ lb, member }] : []; });
    return listResponse('members', members, MEMBER, req);
  }

  @Get(':id')
  @Policy('os_load-balancer_api:member:get_one')
  show(@Req() req: FastifyRequest, @Param('poolId') poolId: string, @Param('id') id: string) {
    return single('member', this.lookup.shown('member', id, () => this.lookup.member(poolId, id), (x) => MEMBER.render(x), poolId), req);
  }

  @Post()
  @Policy('os_load-balancer_api:member:post')
  @HttpCode(201)
  async create(@Req() req: FastifyRequest, @Param('poolId') poolId: string, @Body() body: unknown) {
    const b = MEMBER.parseCreate(body);
    const { lb, pool } = this.lookup.pool(poolId);
    checkNewMember(b, this.subnetExists);
    this.quota.check(lb.projectId, { member: 1 });
    const memberId = newId();
    await this.writes.lb(req, lb, { type: 'CreateMember', data: { lbId: lb.lbId, poolId: pool.poolId, memberId, ...MEMBER.settings(b) } });
    return { member: MEMBER.render(this.lookup.member(pool.poolId, memberId)) };
  }

  /**
   * Octavia's batch update: the pool's members become the listed ones (matched by address and port; the others are
   * deleted unless ?additive_only=true). One commit; 202 with an empty body.
   */
  @Put()
  @Policy('os_load-balancer_api:member:put')
  @HttpCode(202)
  async batch(@Req() req: FastifyRequest, @Param('poolId') poolId: string, @Query() q: Q, @Body() body: unknown): Promise<void> {
    const { lb, pool } = this.lookup.pool(poolId);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidInput('members', body ?? null, 'Mandatory field missing.');
    const extra = Object.keys(body).filter((k) => k !== 'members');
    if (extra.length) throw unknownAttribute('member_', extra);
    const raw = (body as { members?: unknown }).members;
    if (!Array.isArray(raw)) throw invalidInput('members', raw ?? null, raw === undefined || raw === null ? 'Mandatory field missing.' : 'Value should be a list');
    const members = raw.map((m) => {
      const b = MEMBER.parseCreateAttributes(m);
      checkNewMember(b, this.subnetExists);
      // Only the attributes the entry names: a matched member keeps the others.
      return { memberId: newId(), address: b.address, protocolPort: b.protocol_port, subnetId: b.subnet_id ?? null, settings: MEMBER.changes(b) };
    });
    const rawAdditive = Array.isArray(q.additive_only) ? q.additive_only[0] : q.additive_only;
    const additiveOnly = rawAdditive !== undefined && /^(true|1|yes)$/i.test(rawAdditive);
    // Quota on the net increase (Octavia).
    const current = pool.memberIds.flatMap((id) => lb.members.get(id) ?? []);
    this.quota.check(lb.projectId, { member: batchMemberIncrease(current, members, additiveOnly) });
    await this.writes.lb(req, lb, { type: 'BatchUpdateMembers', data: { lbId: lb.lbId, poolId: pool.poolId, additiveOnly, members } });
  }

  @Put(':id')
  @Policy('os_load-balancer_api:member:put')
  async update(@Req() req: FastifyRequest, @Param('poolId') poolId: string, @Param('id') id: string, @Body() body: unknown) {
    const { lb, pool, member } = this.lookup.member(poolId, id);
    const b = MEMBER.parseUpdate(body);
    checkNotReserved(b.monitor_address, 'monitor address');
    await this.writes.lb(req, lb, { type: 'UpdateMember', data: { lbId: lb.lbId, poolId: pool.poolId, memberId: member.memberId, changes: MEMBER.changes(b) } });
    return { member: MEMBER.render(this.lookup.member(pool.poolId, member.memberId)) };
  }

  @Delete(':id')
  @Policy('os_load-balancer_api:member:delete')
  @HttpCode(204)
  async remove(@Req() req: FastifyRequest, @Param('poolId') poolId: string, @Param('id') id: string): Promise<void> {
    const { lb, pool, member } = this.lookup.member(poolId, id);
    await this.writes.lb(req, lb, { type: 'DeleteMember', data: { lbId: lb.lbId, poolId: pool.poolId, memberId: member.memberId } });
  }
}
