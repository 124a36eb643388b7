import { attributes, naive } from '../http/attributes';
import type { AmphoraView } from './amphora';

/**
 * An amphora's attributes, in Octavia's wire order (octavia-wire.md). `compute_id` is the agent's host,
 * `lb_network_ip` its management address (MANAGEMENT_ADDRESS, null when it registered none), `ha_ip`/`ha_port_id` the
 * VIP, `cached_zone` the agent's availability zone. A pair side (ACTIVE_STANDBY) shows its VRRP address and port, the
 * interface inside its namespace and keepalived's priority for its role; a STANDALONE instance has none (null), no per-instance certificate (agents authenticate to NATS; `cert_expiration` null, `cert_busy` false), and no
 * image or compute flavor (haproxy runs on the agent's host).
 */
export const AMPHORA = attributes<AmphoraView>()('amphora', 'amphora', (a) => a, [
  { name: 'id', show: (a) => a.amphoraId, filter: true },
  { name: 'loadbalancer_id', show: (a) => a.lb.lbId, filter: true },
  { name: 'compute_id', show: (a) => a.agent?.host ?? null, filter: true },
  { name: 'lb_network_ip', show: (a) => a.agent?.managementAddress ?? null, filter: true },
  { name: 'vrrp_ip', show: (a) => a.vrrp?.ip ?? null, filter: true },
  { name: 'ha_ip', show: (a) => a.lb.vipAddress, filter: true },
  { name: 'vrrp_port_id', show: (a) => a.vrrp?.portId ?? null, filter: true },
  { name: 'ha_port_id', show: (a) => a.lb.vipPortId, filter: true },
  { name: 'cert_expiration', show: () => null, filter: true },
  { name: 'cert_busy', show: () => false, filter: true },
  { name: 'role', show: (a) => a.role, filter: true },
  { name: 'status', show: (a) => a.status, filter: true },
  { name: 'vrrp_interface', show: (a) => (a.vrrp ? 'vip0' : null), filter: true },
  { name: 'vrrp_id', show: () => null, filter: true },
  { name: 'vrrp_priority', show: (a) => a.vrrp?.priority ?? null, filter: true },
  { name: 'cached_zone', show: (a) => a.agent?.availabilityZone ?? null, filter: true },
  { name: 'created_at', show: (a) => naive(a.createdAt), filter: true },
  { name: 'updated_at', show: (a) => naive(a.updatedAt), filter: true },
  { name: 'image_id', show: () => null, filter: true },
  { name: 'compute_flavor', show: () => null, filter: true },
]);
