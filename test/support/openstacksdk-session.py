"""Drives the Octavia API through openstacksdk's load_balancer proxy (Debian python3-openstacksdk); prints one JSON report.

Run by test/openstacksdk.e2e.spec.ts with Debian's /usr/bin/python3:  openstacksdk-session.py <endpoint> <subnet_id> <prefix> <project>
Only `auth_type='none'` and the endpoint: the SDK discovers the API version from our version document.
"""
import json
import sys
import time

import openstack
from openstack import exceptions

endpoint, subnet, prefix, project = sys.argv[1:5]
conn = openstack.connection.Connection(auth_type='none', auth={'endpoint': endpoint})
lb = conn.load_balancer
report = {}


def wait(lb_id):
    lb.wait_for_load_balancer(lb_id, interval=0.2, wait=60)


def refused(f, *args, **kwargs):
    try:
        f(*args, **kwargs)
        return 'accepted'
    except exceptions.HttpException as e:
        return {'status': e.status_code, 'message': str(e.details or e.message)}


# Operator objects: flavor profile and flavor, availability zone profile and zone, what the provider can do.
fp = lb.create_flavor_profile(name='sdk-fp', provider_name='lbaas', flavor_data=json.dumps({'max_listener_connections': 3000}))
flavor = lb.create_flavor(name='sdk-flavor', flavor_profile_id=fp.id, description='sdk', is_enabled=True)
azp = lb.create_availability_zone_profile(name='sdk-azp', provider_name='lbaas', availability_zone_data=json.dumps({'compute_zone': 'rack-s'}))
az = lb.create_availability_zone(name='sdk-az', availability_zone_profile_id=azp.id, description='sdk zone')
lb.update_flavor(flavor, description='three thousand')
# SDK 0.101's AvailabilityZone has no id (Octavia keys zones by name): update and delete take the name.
lb.update_availability_zone('sdk-az', description='rack s')
report['offerings'] = {
    'flavor_profiles': [p.name for p in lb.flavor_profiles()],
    'flavors': [(f.name, f.description, f.is_enabled) for f in lb.flavors(name='sdk-flavor')],
    'find_flavor': lb.find_flavor('sdk-flavor').id == flavor.id,
    'availability_zone_profiles': [p.name for p in lb.availability_zone_profiles()],
    'availability_zones': [(z.name, z.description) for z in lb.availability_zones()],
    'get_availability_zone': lb.get_availability_zone('sdk-az').availability_zone_profile_id == azp.id,
    'providers': [p.name for p in lb.providers()],
    'flavor_capabilities': [c.name for c in lb.provider_flavor_capabilities('lbaas')],
    'az_capabilities': [c['name'] for c in lb.get('/lbaas/providers/lbaas/availability_zone_capabilities').json()['availability_zone_capabilities']],
}

# A load balancer of that flavor in that zone, and its whole tree.
lbo = lb.create_load_balancer(name='sdk-lb', vip_subnet_id=subnet, flavor_id=flavor.id, availability_zone='sdk-az', project_id=project)
report['lb_create'] = {'flavor_id': lbo.flavor_id == flavor.id, 'availability_zone': lbo.availability_zone, 'status': lbo.provisioning_status}
wait(lbo.id)
listener = lb.create_listener(name='sdk-l', load_balancer_id=lbo.id, protocol='HTTP', protocol_port=80)
wait(lbo.id)
pool = lb.create_pool(name='sdk-p', listener_id=listener.id, protocol='HTTP', lb_algorithm='ROUND_ROBIN')
wait(lbo.id)
member = lb.create_member(pool, address=prefix + '.31', protocol_port=8080, subnet_id=subnet, name='sdk-m')
wait(lbo.id)
hm = lb.create_health_monitor(pool_id=pool.id, type='HTTP', delay=5, timeout=10, max_retries=2, name='sdk-hm')
wait(lbo.id)
policy = lb.create_l7_policy(listener_id=listener.id, action='REJECT', name='sdk-pol')
wait(lbo.id)
rule = lb.create_l7_rule(policy, type='PATH', compare_type='STARTS_WITH', rule_value='/admin')
wait(lbo.id)
lb.update_listener(listener, description='sdk listener')
wait(lbo.id)
got = lb.get_listener(listener.id)
report['tree'] = {
    'listeners_by_lb': [x.name for x in lb.listeners(load_balancer_id=lbo.id)],
    'listeners_other_lb': [x.name for x in lb.listeners(load_balancer_id='00000000-0000-4000-8000-000000000000')],
    'pools_by_lb': [x.name for x in lb.pools(loadbalancer_id=lbo.id)],
    'pools_by_listener': [x.name for x in lb.pools(listener_id=listener.id)],
    'members': [x.name for x in lb.members(pool, address=prefix + '.31')],
    'find_member': lb.find_member('sdk-m', pool).id == member.id,
    'health_monitors': [(x.name, x.delay, x.timeout) for x in lb.health_monitors(pool_id=pool.id)],
    'l7_policies': [x.name for x in lb.l7_policies(listener_id=listener.id)],
    'l7_rules': [x.rule_value for x in lb.l7_rules(policy)],
    'listener': {'connection_limit': got.connection_limit, 'description': got.description, 'updated_at': got.updated_at is not None},
    'lb_stats': sorted(k for k in lb.get_load_balancer_statistics(lbo.id).to_dict().keys() if k not in ('id', 'name', 'location')),
}

# The amphora of the load balancer, with its agent's zone.
amphorae = list(lb.amphorae(loadbalancer_id=lbo.id))
amp = lb.get_amphora(amphorae[0].id)
lb.configure_amphora(amp.id)
report['amphorae'] = {
    'count': len(amphorae), 'role': amp.role, 'status': amp.status, 'cached_zone': amp.cached_zone, 'ha_ip': amp.ha_ip == lbo.vip_address,
    'by_role': len(list(lb.amphorae(role='STANDALONE', loadbalancer_id=lbo.id))),
}
# failover_amphora: test/amphora-failover.e2e.spec.ts (a load balancer moves only between hosts).

# Quotas: null is "use the default".
lb.update_quota(project, pools=7)
q = lb.get_quota(project)
report['quota'] = {'pools': q.pools, 'listeners': q.listeners, 'default_listeners': lb.get_quota_default().listeners}
lb.delete_quota(project)

# Deletion bottom-up; the seed's rule refuses a pool with its monitor, a flavor in use.
report['refused'] = {
    'pool_with_monitor': refused(lb.delete_pool, pool),
    'flavor_in_use': refused(lb.delete_flavor, flavor),
    'lb_with_children': refused(lb.delete_load_balancer, lbo),
}
lb.delete_l7_rule(rule, policy)
wait(lbo.id)
lb.delete_l7_policy(policy)
wait(lbo.id)
lb.delete_health_monitor(hm)
wait(lbo.id)
lb.delete_member(member, pool)
wait(lbo.id)
lb.delete_pool(pool)
wait(lbo.id)
lb.delete_listener(listener)
wait(lbo.id)
lb.delete_load_balancer(lbo)
gone_by = time.time() + 60
while lb.find_load_balancer(lbo.id) is not None:
    if time.time() > gone_by:
        raise RuntimeError('the load balancer was not deleted')
    time.sleep(0.2)
lb.delete_flavor(flavor)
lb.delete_flavor_profile(fp)
lb.delete_availability_zone('sdk-az')
lb.delete_availability_zone_profile(azp)
report['left'] = {
    'flavors': [f.name for f in lb.flavors()], 'availability_zones': [z.name for z in lb.availability_zones()],
    'load_balancers': [x.name for x in lb.load_balancers()],
}
print(json.dumps(report))
