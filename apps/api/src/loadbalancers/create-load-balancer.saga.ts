import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, LOGGER, newId } from '@lbaas/app-shell';
import { PROVIDER, subnet as subnetDecider } from '@lbaas/domain';
import { vrrpHolderKey, type AdditionalVip, type GraphStep, type LoadBalancerFlavor, type LoadBalancerZone } from '@lbaas/events';
import type { SubnetView } from '@lbaas/projections';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ApiConfig } from '../config';
import { ApiError, validationFailure } from '../http/errors';
import { Lookup } from '../http/lookup';
import { grantedEverything } from '../http/project-scope';
import { noteLb, projectFor } from '../http/request-context';
import { Writes } from '../http/writes';
import { QuotaCheck } from '../quotas/quota';
import { checkPoolTlsRefs, checkTlsRefs } from '../secrets/tls-refs';
import { graphSteps } from './graph';
import { LOAD_BALANCER, type AdditionalVipRequest } from './load-balancer.fields';
import { inCidr } from '../http/rules';
import { chooseVipSubnet } from './vip-subnet';

const count = (steps: readonly GraphStep[], type: GraphStep['type']): number => steps.filter((s) => s.type === type).length;

/**
 * Creating a load balancer spans several aggregates, so it is a saga: its VIP (and each additional VIP) is allocated on
 * its subnet, then the load balancer (or its whole graph) is created with those addresses and with what its flavor and
 * availability zone say. An ACTIVE_STANDBY load balancer (its flavor's topology) gets one more address per side on the
 * VIP's subnet, its VRRP address, held under the side's own key (`vrrpHolderKey`: sides 0 and 1; the scheduler allocates
 * the address of a side that replaces one later, and releases a replaced side's). If the create is refused, every
 * address is given back before answering; if this process dies in between, the VIP sweeper (libs/domain
 * vip-sweeper.ts) releases them, and a deleted load balancer's too.
 */
@Injectable()
export class CreateLoadBalancerSaga {
  constructor(
    private readonly lookup: Lookup,
    private readonly writes: Writes,
    private readonly quota: QuotaCheck,
    @Inject(CONFIG) private readonly config: ApiConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Runs the saga for `POST /loadbalancers`; resolves with the new load balancer's id once the view has it. */
  async run(req: FastifyRequest, body: unknown): Promise<{ lbId: string; graph: boolean }> {
    // 1. Validate everything before anything is appended: the body, the project, the provider, flavor, zone, VIP source.
    const b = LOAD_BALANCER.parseCreate(body);
    const projectId = projectFor(b, this.config.defaultProjectId);
    if (b.provider && b.provider !== PROVIDER) throw new ApiError(400, `Provider '${b.provider}' is not enabled.`);
    if (b.vip_port_id) throw validationFailure('vip_port_id is not supported yet; use vip_subnet_id or vip_network_id.');
    if (!b.vip_subnet_id && !b.vip_network_id) throw validationFailure('VIP must contain one of: vip_port_id, vip_network_id, vip_subnet_id.');
    const flavor: LoadBalancerFlavor | null = b.flavor_id ? this.lookup.flavorFor(b.flavor_id) : null;
    const zone = b.availability_zone ? this.lookup.zoneFor(b.availability_zone) : null;

    // 2. Choose the subnets the VIPs come from (ones the caller may use: its own or shared), all on one network.
    const subnet = chooseVipSubnet(
      { subnet: (id) => this.lookup.visibleSubnet(id), network: (id) => this.lookup.visibleNetwork(id) },
      { vipSubnetId: b.vip_subnet_id ?? null, vipNetworkId: b.vip_network_id ?? null, vipAddress: b.vip_address ?? null },
    );
    if (zone?.validVipNetworks && !zone.validVipNetworks.includes(subnet.networkId)) {
      throw validationFailure('Supplied VIP network_id is not allowed by the configuration of this deployment.');
    }
    const extra = this.additionalSubnets(subnet, b.additional_vips ?? []);
    const pair = flavor?.topology === 'ACTIVE_STANDBY';
    if (pair && (subnet.ipVersion as number) !== 4) {
      throw validationFailure('loadbalancer_topology ACTIVE_STANDBY is not supported with an IPv6 VIP yet; use an IPv4 VIP subnet.');
    }
    if (pair && extra.length > 0) throw validationFailure('loadbalancer_topology ACTIVE_STANDBY is not supported with additional_vips yet.');

    // 3. Check the nested tree of a graph create and the project's quota for all of it.
    const lbId = newId();
    const steps = graphSteps(lbId, b.listeners ?? [], b.pools ?? [], (id) => this.lookup.visibleSubnet(id) !== undefined);
    for (const step of steps) {
      if (step.type === 'CreateListener') await checkTlsRefs(this.lookup, projectId, step.data);
      if (step.type === 'CreatePool') await checkPoolTlsRefs(this.lookup, projectId, step.data);
    }
    this.quota.check(projectId, {
      loadbalancer: 1, listener: count(steps, 'CreateListener'), pool: count(steps, 'CreatePool'), member: count(steps, 'CreateMember'),
      healthmonitor: count(steps, 'CreateHealthMonitor'),
    });
    noteLb(req, lbId);

    // 4. Allocate the VIPs on their subnet aggregates (each decider honours the address asked for or picks one free on
    //    the whole layer-2 segment; only an admin may ask for an address outside the allocation pools).
    const allocated: { subnet: SubnetView; holder: string }[] = [];
    const release = async () => {
      for (const { subnet: s, holder } of allocated) {
        await this.writes.sendBatched(req, { aggregate: 'subnet', id: s.subnetId }, subnetDecider, { type: 'ReleaseVip', data: { subnetId: s.subnetId, lbId: holder, reason: 'abandoned' } }, { projectId })
          .catch((err: unknown) => this.logger.error({ op: 'lb-create-saga', lbId, holder, subnetId: s.subnetId, err }, 'could not release a VIP of a refused load balancer; the sweeper will'));
      }
    };
    let vip: { address: string; portId: string };
    const additionalVips: AdditionalVip[] = [];
    try {
      vip = await this.allocate(req, lbId, projectId, subnet, b.vip_address ?? null, allocated);
      for (const { subnet: s, ipAddress } of extra) {
        const a = await this.allocate(req, lbId, projectId, s, ipAddress, allocated);
        additionalVips.push({ subnetId: s.subnetId, ipAddress: a.address, portId: a.portId });
      }
      // The pair's two VRRP addresses (the scheduler finds them by their holder keys when it places the sides).
      if (pair) for (const side of [0, 1]) await this.allocate(req, vrrpHolderKey(lbId, side), projectId, subnet, null, allocated);
    } catch (err) {
      await release();
      throw err;
    }

    // 5. Create the load balancer, or the whole graph as one commit.
    const loadBalancer = {
      lbId, projectId, vipAddress: vip.address, vipSubnetId: subnet.subnetId, vipNetworkId: subnet.networkId, vipPortId: vip.portId,
      provider: PROVIDER, ...LOAD_BALANCER.settings(b),
      ...(additionalVips.length ? { additionalVips } : {}), ...(flavor ? { flavor } : {}),
      ...(zone ? { availabilityZone: { name: zone.name, agentZone: zone.agentZone } satisfies LoadBalancerZone } : {}),
    };
    try {
      await this.writes.lb(req, loadBalancer, steps.length > 0
        ? { type: 'CreateLoadBalancerGraph', data: { loadBalancer, steps } }
        : { type: 'CreateLoadBalancer', data: loadBalancer }, { isNew: true });
    } catch (err) {
      // 6. Refused (or the store failed): give the addresses back before answering.
      await release();
      throw err;
    }
    return { lbId, graph: steps.length > 0 };
  }

  /** Octavia's additional_vips checks: subnets the caller may use, one VIP per subnet, all on the VIP's network. */
  private additionalSubnets(primary: SubnetView, wanted: readonly AdditionalVipRequest[]): { subnet: SubnetView; ipAddress: string | null }[] {
    const seen = new Set([primary.subnetId]);
    return wanted.map((v) => {
      if (seen.has(v.subnetId)) throw validationFailure('Duplicate VIP subnet(s) specified. Only one IP can be bound per subnet.');
      seen.add(v.subnetId);
      const s = this.lookup.visibleSubnet(v.subnetId);
      if (!s) throw validationFailure(`Subnet ${v.subnetId} not found`);
      if (s.networkId !== primary.networkId) throw validationFailure('All VIP subnets must belong to the same network.');
      if (v.ipAddress && !inCidr(v.ipAddress, s.cidr)) throw validationFailure(`VIP address ${v.ipAddress} is not in subnet ${s.subnetId} (${s.cidr}).`);
      return { subnet: s, ipAddress: v.ipAddress };
    });
  }

  /**
   * One address on `subnet` held by `lbId` (an LB's VIP, or a pair side's VRRP address by its holder key); `allocated`
   * collects what to give back if the saga is refused later.
   */
  private async allocate(
    req: FastifyRequest, lbId: string, projectId: string, subnet: SubnetView, address: string | null, allocated: { subnet: SubnetView; holder: string }[],
  ): Promise<{ address: string; portId: string }> {
    const portId = newId();
    // Batched: a burst's allocations on one subnet share commits instead of queueing one append round trip each.
    const result = await this.writes.sendBatched(req, { aggregate: 'subnet', id: subnet.subnetId }, subnetDecider, {
      type: 'AllocateVip',
      data: { subnetId: subnet.subnetId, lbId, portId, address, taken: this.lookup.takenNear(subnet, projectId), anyAddress: grantedEverything() },
    }, { projectId, wait: false });
    allocated.push({ subnet, holder: lbId });
    // The allocation's own event says which address (a retried allocation yields none: then the view knows it).
    const known = subnet.vips.get(lbId);
    const got = (result.events as readonly { type: string; data: { address?: string } }[]).find((e) => e.type === 'VipAllocated')?.data.address ?? known?.address;
    if (!got) throw new Error(`VIP allocation for ${lbId} on ${subnet.subnetId} left no address`);
    return { address: got, portId: known?.portId ?? portId };
  }
}
