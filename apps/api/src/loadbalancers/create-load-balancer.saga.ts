import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, LOGGER, newId } from '@lbaas/app-shell';
import { PROVIDER, subnet as subnetDecider } from '@lbaas/domain';
import type { GraphStep } from '@lbaas/events';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ApiConfig } from '../config';
import { ApiError, validationFailure } from '../http/errors';
import { Lookup } from '../http/lookup';
import { grantedEverything } from '../http/project-scope';
import { noteLb, projectFor } from '../http/request-context';
import { Writes } from '../http/writes';
import { QuotaCheck } from '../quotas/quota';
import { graphSteps } from './graph';
import { LOAD_BALANCER } from './load-balancer.fields';
import { chooseVipSubnet } from './vip-subnet';

const count = (steps: readonly GraphStep[], type: GraphStep['type']): number => steps.filter((s) => s.type === type).length;

/**
 * Creating a load balancer spans two aggregates, so it is a saga: the VIP is allocated on its subnet, then the load
 * balancer (or its whole graph) is created with that address. If the create is refused, the address is given back
 * before answering; if this process dies in between, the VIP sweeper (libs/domain vip-sweeper.ts) releases it.
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
    // 1. Validate everything before anything is appended: the body, the project, the provider, the VIP's source.
    const b = LOAD_BALANCER.parseCreate(body);
    const projectId = projectFor(b, this.config.defaultProjectId);
    if (b.provider && b.provider !== PROVIDER) throw new ApiError(400, `Provider '${b.provider}' is not enabled.`);
    if (b.vip_port_id) throw validationFailure('vip_port_id is not supported yet; use vip_subnet_id or vip_network_id.');
    if (!b.vip_subnet_id && !b.vip_network_id) throw validationFailure('VIP must contain one of: vip_port_id, vip_network_id, vip_subnet_id.');

    // 2. Choose the subnet the VIP comes from (one the caller may use: its own or a shared one).
    const subnet = chooseVipSubnet(
      { subnet: (id) => this.lookup.visibleSubnet(id), network: (id) => this.lookup.visibleNetwork(id) },
      { vipSubnetId: b.vip_subnet_id ?? null, vipNetworkId: b.vip_network_id ?? null, vipAddress: b.vip_address ?? null },
    );

    // 3. Check the nested tree of a graph create and the project's quota for all of it.
    const lbId = newId();
    const steps = graphSteps(lbId, b.listeners ?? [], b.pools ?? [], (id) => this.lookup.visibleSubnet(id) !== undefined);
    this.quota.check(projectId, {
      loadbalancer: 1, listener: count(steps, 'CreateListener'), pool: count(steps, 'CreatePool'), member: count(steps, 'CreateMember'),
      healthmonitor: count(steps, 'CreateHealthMonitor'),
    });
    noteLb(req, lbId);

    // 4. Allocate the VIP on the subnet aggregate (the decider honours vip_address or picks the next free one), free on
    //    the whole layer-2 segment; only an admin may ask for an address outside the allocation pools.
    const subnetStream = { aggregate: 'subnet' as const, id: subnet.subnetId };
    const portId = newId();
    const allocated = await this.writes.send(req, subnetStream, subnetDecider, {
      type: 'AllocateVip',
      data: {
        subnetId: subnet.subnetId, lbId, portId, address: b.vip_address ?? null,
        taken: this.lookup.takenNear(subnet, projectId), anyAddress: grantedEverything(),
      },
    }, { projectId, wait: false });
    // The allocation's own event says which address (a retried allocation yields none: then the view knows it).
    const known = subnet.vips.get(lbId);
    const vipAddress = (allocated.events as readonly { type: string; data: { address?: string } }[])
      .find((e) => e.type === 'VipAllocated')?.data.address ?? known?.address;
    if (!vipAddress) throw new Error(`VIP allocation for ${lbId} on ${subnet.subnetId} left no address`);

    // 5. Create the load balancer, or the whole graph as one commit.
    const loadBalancer = {
      lbId, projectId, vipAddress, vipSubnetId: subnet.subnetId, vipNetworkId: subnet.networkId, vipPortId: known?.portId ?? portId,
      provider: PROVIDER, ...LOAD_BALANCER.settings(b),
    };
    try {
      await this.writes.lb(req, loadBalancer, steps.length > 0
        ? { type: 'CreateLoadBalancerGraph', data: { loadBalancer, steps } }
        : { type: 'CreateLoadBalancer', data: loadBalancer }, { isNew: true });
    } catch (err) {
      // 6. Refused (or the store failed): give the address back before answering.
      await this.writes.send(req, subnetStream, subnetDecider, { type: 'ReleaseVip', data: { subnetId: subnet.subnetId, lbId, reason: 'abandoned' } }, { projectId })
        .catch((releaseErr: unknown) =>
          this.logger.error({ op: 'lb-create-saga', lbId, err: releaseErr }, 'could not release the VIP of a refused load balancer; the sweeper will'));
      throw err;
    }
    return { lbId, graph: steps.length > 0 };
  }
}
