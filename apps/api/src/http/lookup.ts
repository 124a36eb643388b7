import { Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, PROJECTION, SECRET_STORE } from '@lbaas/app-shell';
import { isUuid } from '@lbaas/contracts';
import type { EventStore, StoredCommit } from '@lbaas/event-store';
import { isZoneName, parseFlavorData, parseZoneData } from '@lbaas/domain';
import type { LoadBalancerFlavor, QuotaResource } from '@lbaas/events';
import {
  isGone, lbProvisioningStatus, type AgentView, type Catalog, type DeletedChild, type FlavorProfileView, type FlavorView, type HealthMonitorView,
  type L7PolicyView, type L7RuleView, type ListenerView, type LoadBalancerView, type MemberView, type NetworkView, type PoolView,
  type SubnetView, type VipAllocationView, type ZoneProfileView, type ZoneView,
} from '@lbaas/projections';
import { isCertBundle, parseSecretRef, type ContainerRecord, type SecretRecord, type SecretStore } from '@lbaas/secret-store';
import { amphoraeOf, type AmphoraView } from '../amphorae/amphora';
import type { Wire } from './attributes';
import { ApiError, notFound } from './errors';
import { inCidr } from './rules';
import { callerProject, visible } from './project-scope';

/** The api's one in-memory view and the runner that feeds it (injected under PROJECTION, into this module only). */
export type ReadModel = {
  readonly catalog: Catalog;
  /** Resolves once the view has applied stream sequence `seq` (read-your-writes). */
  waitFor(seq: number, timeoutMs?: number): Promise<void>;
  /** Every commit the view applied, in stream order (the write path keeps its aggregate states current with it). */
  onApplied?(listener: (commit: { subject: string; seq: number; events: readonly unknown[] }) => void): () => void;
  /** Catches the view up with the stream before a request is handled (several replicas answer as one); see http/catch-up.ts. */
  catchUp?: (applyTimeoutMs?: number) => Promise<'synced' | 'unknown' | 'stale'>;
};

/** A VIP allocation shown as a Neutron port: its subnet, and the project that owns it (its load balancer's). */
export type PortView = Readonly<{ subnet: SubnetView; vip: VipAllocationView; projectId: string }>;
/** A project's quota: the limits set for it; an absent one (shown as null) is "use the default", as Octavia shows it. */
export type QuotaView = Readonly<{ projectId: string; limits: Partial<Record<QuotaResource, number | null>> }>;

/** What a load balancer's availability zone says, resolved for its create. */
export type ZoneChoice = Readonly<{ name: string; agentZone: string; validVipNetworks: readonly string[] | null }>;

/** The secret store's writes (the reads go through the lookup). */
export const SECRET_WRITES = Symbol('SECRET_WRITES');
export type SecretWrites = Pick<SecretStore, 'put' | 'delete'>;
const secretsOff = (): never => { throw new ApiError(503, 'The secret store is not configured (SECRETS_KEY).'); };
/** The writes of `store`; without one (no SECRETS_KEY) every write is Barbican's 503. */
export const secretWrites = (store: SecretStore | null): SecretWrites => ({
  put: (rec) => (store ? store.put(rec) : secretsOff()),
  delete: (kind, id) => (store ? store.delete(kind, id) : secretsOff()),
});

const networkNotFound = (id: string) => new ApiError(404, `Network ${id} could not be found.`);
const subnetNotFound = (id: string) => new ApiError(404, `Subnet ${id} could not be found.`);
const key = (id: string): string | undefined => (isUuid(id) ? id.toLowerCase() : undefined);

/**
 * Every way from an id to an object a controller may show or act on, scoped to the caller (http/project-scope.ts):
 * another project's object is a 404, as if it did not exist (Octavia and Neutron answer so), and lists hold only what
 * the caller may see. Controllers get the view, the event store and the secret store only through this class (the
 * app does not export them to controllers), so there is no second way that could forget the project.
 *
 * Load-balancer trees and their children, secrets, containers, quotas and histories belong to one project;
 * networks, subnets and ports to one project too, but a `shared` network (and its subnets) is visible to every
 * project. Agents are operator objects of no project.
 */
@Injectable()
export class Lookup {
  constructor(
    @Inject(PROJECTION) private readonly view: ReadModel,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SECRET_STORE) private readonly secrets: SecretStore | null,
  ) {}

  private get catalog(): Catalog {
    return this.view.catalog;
  }

  // ---- load-balancer trees ----

  /** The load balancer `id`, or Octavia's 404 (a non-UUID id is a 404 as well, like Octavia). */
  lb(id: string, resource = 'Load Balancer'): LoadBalancerView {
    const lb = this.visibleLb(id);
    if (!lb) throw notFound(resource, id);
    return lb;
  }

  /** The load balancer `id` if the caller may see it. */
  visibleLb(id: string): LoadBalancerView | undefined {
    const k = key(id);
    const lb = k ? this.catalog.loadBalancers.lbs.get(k) : undefined;
    return lb && visible(lb.projectId) ? lb : undefined;
  }

  /** Every load-balancer tree the caller may see, in creation order. */
  lbs(): LoadBalancerView[] {
    const scope = callerProject();
    const all = [...this.catalog.loadBalancers.lbs.values()];
    return scope === null ? all : all.filter((lb) => lb.projectId === scope);
  }

  /** Child `id` of the tree that owns it (owner index), or a 404 naming the child's resource. */
  private inTree<T>(id: string, resource: string, children: (lb: LoadBalancerView) => ReadonlyMap<string, T>): { lb: LoadBalancerView; found: T } {
    const k = key(id);
    const lbId = k ? this.catalog.loadBalancers.owner.get(k) : undefined;
    const lb = lbId ? this.catalog.loadBalancers.lbs.get(lbId) : undefined;
    const found = lb && visible(lb.projectId) ? children(lb).get(k as string) : undefined;
    if (!lb || !found) throw notFound(resource, id);
    return { lb, found };
  }

  listener(id: string): { lb: LoadBalancerView; listener: ListenerView } {
    const { lb, found } = this.inTree(id, 'Listener', (t) => t.listeners);
    return { lb, listener: found };
  }

  pool(id: string): { lb: LoadBalancerView; pool: PoolView } {
    const { lb, found } = this.inTree(id, 'Pool', (t) => t.pools);
    return { lb, pool: found };
  }

  member(poolId: string, id: string): { lb: LoadBalancerView; pool: PoolView; member: MemberView } {
    const { lb, pool } = this.pool(poolId);
    const member = key(id) ? lb.members.get(id.toLowerCase()) : undefined;
    if (!member || member.poolId !== pool.poolId) throw notFound('Member', id);
    return { lb, pool, member };
  }

  healthMonitor(id: string): { lb: LoadBalancerView; hm: HealthMonitorView } {
    const { lb, found } = this.inTree(id, 'Health Monitor', (t) => t.healthMonitors);
    return { lb, hm: found };
  }

  l7Policy(id: string): { lb: LoadBalancerView; policy: L7PolicyView } {
    const { lb, found } = this.inTree(id, 'L7 Policy', (t) => t.l7Policies);
    return { lb, policy: found };
  }

  /** Every listener, pool or health monitor the caller may see, with its tree, in creation order. */
  listeners(): { lb: LoadBalancerView; listener: ListenerView }[] {
    return this.lbs().flatMap((lb) => [...lb.listeners.values()].map((listener) => ({ lb, listener })));
  }

  pools(): { lb: LoadBalancerView; pool: PoolView }[] {
    return this.lbs().flatMap((lb) => [...lb.pools.values()].map((pool) => ({ lb, pool })));
  }

  healthMonitors(): { lb: LoadBalancerView; hm: HealthMonitorView }[] {
    return this.lbs().flatMap((lb) => [...lb.healthMonitors.values()].map((hm) => ({ lb, hm })));
  }

  l7Rule(policyId: string, id: string): { lb: LoadBalancerView; policy: L7PolicyView; rule: L7RuleView } {
    const { lb, policy } = this.l7Policy(policyId);
    const rule = key(id) ? lb.l7Rules.get(id.toLowerCase()) : undefined;
    if (!rule || rule.l7PolicyId !== policy.l7PolicyId) throw notFound('L7 Rule', id);
    return { lb, policy, rule };
  }

  /**
   * A child's wire form: as the view has it, or, while its deletion is not applied yet, its last form in PENDING_DELETE
   * (Octavia keeps a deleted child so until its worker is done; `openstack ... delete --wait` polls it until 404). The
   * deleted child comes from the view (every replica folds the same history), so every api replica answers alike.
   * `parentId` is the member's pool. Otherwise find's 404.
   */
  shown<T>(kind: DeletedChild['kind'], id: string, find: () => T, render: (found: T) => Wire, parentId?: string): Wire {
    let found: T;
    try {
      found = find();
    } catch (err) {
      const gone = this.pendingDeletion(kind, id, parentId);
      if (gone) return { ...render(gone as T), provisioning_status: 'PENDING_DELETE' };
      throw err;
    }
    return render(found);
  }

  /** The deleted child `id` of this kind, shaped as its lookup returns a live one, if the caller may see it. */
  private pendingDeletion(kind: DeletedChild['kind'], childId: string, parentId?: string): object | undefined {
    const k = key(childId);
    const lbId = k ? this.catalog.loadBalancers.owner.get(k) : undefined;
    const lb = lbId ? this.catalog.loadBalancers.lbs.get(lbId) : undefined;
    const d = lb?.deletedChildren.get(k as string);
    if (!lb || !d || d.kind !== kind || !visible(lb.projectId) || lb.deleted || lbProvisioningStatus(lb) === 'ERROR') return undefined;
    switch (d.kind) {
      case 'listener': return { lb, listener: d.view };
      case 'pool': return { lb, pool: d.view };
      case 'healthMonitor': return { lb, hm: d.view };
      case 'member': {
        if (parentId !== undefined && key(parentId) !== d.view.poolId) return undefined;
        const pool = lb.pools.get(d.view.poolId) ?? lb.deletedChildren.get(d.view.poolId)?.view;
        return { lb, pool, member: d.view };
      }
    }
  }

  /** How many live load balancers each agent holds (every project's: placement is not the caller's business). */
  hostingLoad(): { agentId: string | null; tornDown: boolean }[] {
    return [...this.catalog.loadBalancers.lbs.values()].map((lb) => ({ agentId: lb.placement?.agentId ?? null, tornDown: isGone(lb) }));
  }

  // ---- networks, subnets, ports ----

  private networkVisible(n: NetworkView): boolean {
    return n.shared || visible(n.projectId);
  }

  private subnetVisible(s: SubnetView): boolean {
    const n = this.catalog.networks.networks.get(s.networkId);
    return visible(s.projectId) || (n !== undefined && n.shared);
  }

  /** The network `id` if the caller may see it (its own, or shared). */
  visibleNetwork(id: string): NetworkView | undefined {
    const k = key(id);
    const n = k ? this.catalog.networks.networks.get(k) : undefined;
    return n && this.networkVisible(n) ? n : undefined;
  }

  /** The subnet `id` if the caller may see it (its own, or on a shared network). */
  visibleSubnet(id: string): SubnetView | undefined {
    const k = key(id);
    const s = k ? this.catalog.networks.subnets.get(k) : undefined;
    return s && this.subnetVisible(s) ? s : undefined;
  }

  network(id: string): NetworkView {
    const n = this.visibleNetwork(id);
    if (!n) throw networkNotFound(id);
    return n;
  }

  subnet(id: string): SubnetView {
    const s = this.visibleSubnet(id);
    if (!s) throw subnetNotFound(id);
    return s;
  }

  /** A network the caller may change: its own (another project's shared network is visible, but a 403 to change). */
  ownNetwork(id: string): NetworkView {
    const n = this.network(id);
    if (!visible(n.projectId)) throw new ApiError(403, `Network ${n.networkId} belongs to another project.`);
    return n;
  }

  /** A subnet the caller may change: its own. */
  ownSubnet(id: string): SubnetView {
    const s = this.subnet(id);
    if (!visible(s.projectId)) throw new ApiError(403, `Subnet ${s.subnetId} belongs to another project.`);
    return s;
  }

  networks(): NetworkView[] {
    return [...this.catalog.networks.networks.values()].filter((n) => this.networkVisible(n));
  }

  subnets(): SubnetView[] {
    return [...this.catalog.networks.subnets.values()].filter((s) => this.subnetVisible(s));
  }

  /** The VIP network of a load balancer the caller already holds (its own, or a shared one). */
  vipNetworkOf(lb: LoadBalancerView): NetworkView | undefined {
    return this.catalog.networks.networks.get(lb.vipNetworkId);
  }

  /** The caller's VIP allocations (their load balancers' ports), as Neutron ports. */
  ports(): PortView[] {
    return [...this.catalog.networks.subnets.values()].flatMap((subnet) => [...subnet.vips.values()].flatMap((vip) => {
      const projectId = this.catalog.loadBalancers.lbs.get(vip.lbId)?.projectId ?? subnet.projectId;
      return visible(projectId) ? [{ subnet, vip, projectId }] : [];
    }));
  }

  port(id: string): PortView {
    const port = this.ports().find((p) => p.vip.portId === id.toLowerCase());
    if (!port) throw new ApiError(404, `Port ${id} could not be found.`);
    return port;
  }

  // ---- layer-2 segments: every project's objects, for safety checks only (nothing here is shown to the caller) ----

  /** The live networks on physical network `physnet` (a flat network takes it whole). */
  networksOnPhysicalNetwork(physnet: string): string[] {
    return [...this.catalog.networks.networks.values()].filter((n) => n.physicalNetwork === physnet).map((n) => n.networkId);
  }

  /** The live subnets on the layer-2 segment of network `networkId`: every subnet of every network on its physical network. */
  segmentSubnets(networkId: string): { subnetId: string; cidr: string }[] {
    const physnet = this.catalog.networks.networks.get(networkId)?.physicalNetwork;
    if (physnet === undefined) return [];
    return [...this.catalog.networks.subnets.values()]
      .filter((s) => this.catalog.networks.networks.get(s.networkId)?.physicalNetwork === physnet)
      .map((s) => ({ subnetId: s.subnetId, cidr: s.cidr }));
  }

  /**
   * Addresses in use on the segment of subnet `s` that its own allocations do not show: VIPs of the segment's other
   * subnets, and the members of projects other than `projectId` on the segment (a member without a subnet sits on its
   * load balancer's VIP subnet, as in Octavia). A VIP there would take over someone else's address by ARP. The scan is
   * set lookups per member; addresses are parsed only for members on the segment.
   */
  takenNear(s: SubnetView, projectId: string): string[] {
    const segment = new Set(this.segmentSubnets(s.networkId).map((x) => x.subnetId));
    const out: string[] = [];
    for (const id of segment) {
      if (id === s.subnetId) continue;
      for (const vip of this.catalog.networks.subnets.get(id)?.vips.values() ?? []) out.push(vip.address);
    }
    for (const lb of this.catalog.loadBalancers.lbs.values()) {
      if (lb.projectId === projectId) continue;
      for (const m of lb.members.values()) {
        if (segment.has(m.subnetId ?? lb.vipSubnetId) && inCidr(m.address, s.cidr)) out.push(m.address);
      }
    }
    return out;
  }

  // ---- agents (operator objects) ----

  agent(id: string): AgentView {
    const a = this.catalog.agents.agents.get(id);
    if (!a) throw new ApiError(404, `Agent ${id} could not be found.`);
    return a;
  }

  agents(): AgentView[] {
    return [...this.catalog.agents.agents.values()];
  }

  // ---- amphorae: the running instances of the load balancers the caller may see (operator objects; admin only) ----

  amphorae(): AmphoraView[] {
    return this.lbs().flatMap((lb) => amphoraeOf(lb, (id) => this.catalog.agents.agents.get(id)));
  }

  amphora(id: string): AmphoraView {
    const k = key(id);
    const a = k ? this.amphorae().find((x) => x.amphoraId === k) : undefined;
    if (!a) throw notFound('Amphora', id);
    return a;
  }

  // ---- flavors, availability zones and their profiles (of no project: every caller reads flavors and zones) ----

  flavors(): FlavorView[] {
    return [...this.catalog.offerings.flavors.values()];
  }

  flavor(id: string): FlavorView {
    const f = key(id) ? this.catalog.offerings.flavors.get(id.toLowerCase()) : undefined;
    if (!f) throw notFound('Flavor', id);
    return f;
  }

  flavorProfiles(): FlavorProfileView[] {
    return [...this.catalog.offerings.flavorProfiles.values()];
  }

  flavorProfile(id: string): FlavorProfileView {
    const p = key(id) ? this.catalog.offerings.flavorProfiles.get(id.toLowerCase()) : undefined;
    if (!p) throw notFound('Flavor profile', id);
    return p;
  }

  zones(): ZoneView[] {
    return [...this.catalog.offerings.zones.values()];
  }

  zone(name: string): ZoneView {
    const z = this.catalog.offerings.zones.get(name);
    if (!z) throw notFound('Availability Zone', name);
    return z;
  }

  zoneProfiles(): ZoneProfileView[] {
    return [...this.catalog.offerings.zoneProfiles.values()];
  }

  zoneProfile(id: string): ZoneProfileView {
    const p = key(id) ? this.catalog.offerings.zoneProfiles.get(id.toLowerCase()) : undefined;
    if (!p) throw notFound('Availability Zone Profile', id);
    return p;
  }

  /** How many load balancers (of every project, deleted ones until torn down) use flavor `flavorId` or zone `zone`. */
  lbsUsing(o: { flavorId?: string; zone?: string }): number {
    let n = 0;
    for (const lb of this.catalog.loadBalancers.lbs.values()) {
      if ((o.flavorId !== undefined && lb.flavor?.flavorId === o.flavorId) || (o.zone !== undefined && lb.availabilityZone?.name === o.zone)) n++;
    }
    return n;
  }

  /** A load balancer create's flavor, resolved as Octavia does (400s: unknown, disabled). */
  flavorFor(id: string): LoadBalancerFlavor {
    const f = key(id) ? this.catalog.offerings.flavors.get(id.toLowerCase()) : undefined;
    const profile = f ? this.catalog.offerings.flavorProfiles.get(f.flavorProfileId) : undefined;
    if (!f || !profile) throw new ApiError(400, 'Validation failure: Invalid flavor_id.');
    if (!f.enabled) throw new ApiError(400, `The selected flavor is not allowed in this deployment: ${f.flavorId}`);
    const m = parseFlavorData(profile.flavorData);
    return { flavorId: f.flavorId, topology: m.topology, maxListeners: m.maxListeners, maxListenerConnections: m.maxListenerConnections };
  }

  /** A load balancer create's availability zone, resolved as Octavia does: the agents' zone is the profile's compute_zone. */
  zoneFor(name: string): ZoneChoice {
    const z = isZoneName(name) ? this.catalog.offerings.zones.get(name) : undefined;
    const profile = z ? this.catalog.offerings.zoneProfiles.get(z.availabilityZoneProfileId) : undefined;
    if (!z || !profile) throw new ApiError(400, 'Validation failure: Invalid availability zone.');
    if (!z.enabled) throw new ApiError(400, `The selected availability_zone is not allowed in this deployment: ${z.name}`);
    const m = parseZoneData(profile.availabilityZoneData);
    return { name: z.name, agentZone: m.computeZone ?? z.name, validVipNetworks: m.validVipNetworks };
  }

  // ---- quotas ----

  /** The quota of project `projectId` (null: the default applies), or a 404 when the caller is confined to another project. */
  quota(projectId: string): QuotaView {
    if (!visible(projectId)) throw new ApiError(404, `Quota for project ${projectId} not found.`);
    return { projectId, limits: { ...(this.catalog.projects.quotas.get(projectId) ?? {}) } };
  }

  /** The quotas set for projects the caller may see. */
  quotas(): QuotaView[] {
    return [...this.catalog.projects.quotas.keys()].filter((p) => visible(p)).map((p) => this.quota(p));
  }

  // ---- history ----

  /**
   * What happened to load balancer `id`, read from the event store itself (a deleted load balancer keeps its history):
   * only for a caller who may see its project.
   */
  async history(id: string): Promise<StoredCommit[]> {
    if (!isUuid(id)) throw notFound('Load Balancer', id);
    const { commits } = await this.store.read({ aggregate: 'lb', id: id.toLowerCase() });
    const created = commits[0]?.events.find((e) => e.type === 'LoadBalancerCreated')?.data as { projectId?: string } | undefined;
    if (typeof created?.projectId !== 'string' || !visible(created.projectId)) throw notFound('Load Balancer', id);
    return commits;
  }

  // ---- secrets and containers ----

  private get secretStore(): SecretStore {
    return this.secrets ?? secretsOff();
  }

  /** The secret `id`, or a 404 (also when it belongs to another project). */
  async secret(id: string, resource = 'Secret'): Promise<SecretRecord> {
    const s = await this.secretStore.get('secret', id.toLowerCase());
    if (!s || !visible(s.projectId)) throw notFound(resource, id);
    return s;
  }

  /** The container `id`, or a 404 (also when it belongs to another project). */
  async container(id: string): Promise<ContainerRecord> {
    const c = await this.secretStore.get('container', id.toLowerCase());
    if (!c || !visible(c.projectId)) throw notFound('Container', id);
    return c;
  }

  /**
   * True if reference `ref` (a secret or container URL) names a record of project `projectId`, and, for a container,
   * every secret it names is that project's too. A listener may use only its own project's certificates, and a
   * container only its own project's secrets, whoever the caller is.
   */
  async ownedBy(ref: string, projectId: string): Promise<boolean> {
    const parsed = parseSecretRef(ref);
    if (!parsed || !this.secrets) return false;
    if (parsed.kind === 'secret') return (await this.secrets.get('secret', parsed.id))?.projectId === projectId;
    const c = await this.secrets.get('container', parsed.id);
    if (c?.projectId !== projectId) return false;
    for (const r of c.secretRefs) if (!(await this.ownedBy(r.secretRef, projectId))) return false;
    return true;
  }

  /** The PEM that `ref` resolves to, if it is project `projectId`'s (another project's is as unknown as a missing one). */
  async pemOf(ref: string, projectId: string): Promise<string | null> {
    if (!(await this.ownedBy(ref, projectId)) || !this.secrets) return null;
    return this.secrets.resolvePem(ref).catch(() => null);
  }

  /** True if `ref` is a certificate of project `projectId` that resolves to a certificate and its key (a listener's). */
  async certificateOf(ref: string, projectId: string): Promise<boolean> {
    if (!(await this.ownedBy(ref, projectId)) || !this.secrets) return false;
    return this.secrets.resolvePem(ref).then(isCertBundle, () => false);
  }
}
