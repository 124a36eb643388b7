import { LIMITS } from '@lbaas/events';
import { Attr } from '../shell/validation';
import { objectList } from './graph';
import { bool, ipAddress, projectId, tags, text, unsupported, uuid } from '../shell/rules';

/** Body of POST /loadbalancers (`{"loadbalancer": {...}}`), checked at the edge. */
export class LoadBalancerCreateBody {
  @Attr(text()) name?: string | null;
  @Attr(text()) description?: string | null;
  @Attr(bool) admin_state_up?: boolean | null;
  @Attr(uuid) vip_subnet_id?: string | null;
  @Attr(uuid) vip_network_id?: string | null;
  @Attr(uuid) vip_port_id?: string | null;
  @Attr(ipAddress) vip_address?: string | null;
  @Attr(unsupported('QoS policies')) vip_qos_policy_id?: null;
  @Attr(unsupported('VIP security groups')) vip_sg_ids?: null;
  @Attr(unsupported('Additional VIPs')) additional_vips?: null;
  @Attr(unsupported('vnic types')) vip_vnic_type?: null;
  @Attr(projectId) project_id?: string | null;
  @Attr(projectId) tenant_id?: string | null;
  @Attr(text(LIMITS.loadBalancer.provider.maxLength)) provider?: string | null;
  @Attr(unsupported('Flavors')) flavor_id?: null;
  @Attr(unsupported('Availability zones')) availability_zone?: null;
  @Attr(tags) tags?: string[] | null;
  /** Graph create (Octavia's single-call create): nested listeners with default_pool, and named pools. */
  @Attr(objectList) listeners?: Record<string, unknown>[] | null;
  @Attr(objectList) pools?: Record<string, unknown>[] | null;
}

/** Body of PUT /loadbalancers/{id}. */
export class LoadBalancerUpdateBody {
  @Attr(text()) name?: string | null;
  @Attr(text()) description?: string | null;
  @Attr(bool) admin_state_up?: boolean | null;
  @Attr(unsupported('QoS policies')) vip_qos_policy_id?: null;
  @Attr(unsupported('VIP security groups')) vip_sg_ids?: null;
  @Attr(tags) tags?: string[] | null;
}
