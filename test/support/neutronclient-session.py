"""Drives the LBaaS v2 API through python3-neutronclient, as Neutron LBaaS users did; prints one JSON report.

Run by test/neutronclient.e2e.spec.ts with Debian's /usr/bin/python3:  neutronclient-session.py <endpoint> <subnet_id> <prefix>
"""
import json
import sys
import time

from neutronclient.common import exceptions
from neutronclient.v2_0 import client

endpoint, subnet, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
c = client.Client(endpoint_url=endpoint, token='x')
report = {}


def active(lb_id, timeout=30):
    t0 = time.time()
    while True:
        lb = c.show_loadbalancer(lb_id)['loadbalancer']
        if lb['provisioning_status'] == 'ACTIVE':
            return lb
        if time.time() - t0 > timeout:
            raise RuntimeError('not ACTIVE: %s' % json.dumps(lb))
        time.sleep(0.1)


lb = c.create_loadbalancer({'loadbalancer': {'name': 'nc-lb', 'vip_subnet_id': subnet, 'description': 'neutronclient'}})['loadbalancer']
report['lb_create'] = {k: lb[k] for k in ('provisioning_status', 'tenant_id', 'project_id', 'vip_subnet_id')}
active(lb['id'])
lis = c.create_listener({'listener': {'loadbalancer_id': lb['id'], 'protocol': 'HTTP', 'protocol_port': 80, 'name': 'nc-l'}})['listener']
active(lb['id'])
try:
    c.create_listener({'listener': {'loadbalancer_id': lb['id'], 'protocol': 'HTTP', 'protocol_port': 80}})
    report['duplicate_listener'] = 'accepted'
except exceptions.NeutronClientException as e:
    report['duplicate_listener'] = {'status': e.status_code, 'message': str(e)}
pool = c.create_lbaas_pool({'pool': {'listener_id': lis['id'], 'protocol': 'HTTP', 'lb_algorithm': 'ROUND_ROBIN', 'name': 'nc-p'}})['pool']
active(lb['id'])
m1 = c.create_lbaas_member(pool['id'], {'member': {'address': prefix + '.21', 'protocol_port': 8080, 'subnet_id': subnet, 'name': 'nc-m1'}})['member']
active(lb['id'])
hm = c.create_lbaas_healthmonitor({'healthmonitor': {'pool_id': pool['id'], 'type': 'TCP', 'delay': 3, 'timeout': 2, 'max_retries': 2, 'name': 'nc-hm'}})['healthmonitor']
active(lb['id'])

report['lists'] = {
    'loadbalancers': [x['name'] for x in c.list_loadbalancers(name='nc-lb')['loadbalancers']],
    'listeners': [x['name'] for x in c.list_listeners(loadbalancer_id=lb['id'])['listeners']],
    'pools': [x['name'] for x in c.list_lbaas_pools(name='nc-p')['pools']],
    'members': [x['name'] for x in c.list_lbaas_members(pool['id'])['members']],
    'healthmonitors': [x['name'] for x in c.list_lbaas_healthmonitors(name='nc-hm')['healthmonitors']],
}
report['shows'] = {
    'loadbalancer': c.show_loadbalancer(lb['id'])['loadbalancer']['name'],
    'listener': c.show_listener(lis['id'])['listener']['protocol_port'],
    'pool': c.show_lbaas_pool(pool['id'])['pool']['lb_algorithm'],
    'member': c.show_lbaas_member(m1['id'], pool['id'])['member']['address'],
    'healthmonitor': c.show_lbaas_healthmonitor(hm['id'])['healthmonitor']['type'],
}

c.update_loadbalancer(lb['id'], {'loadbalancer': {'description': 'updated'}})
active(lb['id'])
c.update_listener(lis['id'], {'listener': {'connection_limit': 500}})
active(lb['id'])
c.update_lbaas_pool(pool['id'], {'pool': {'lb_algorithm': 'SOURCE_IP'}})
active(lb['id'])
c.update_lbaas_member(m1['id'], pool['id'], {'member': {'weight': 4}})
active(lb['id'])
c.update_lbaas_healthmonitor(hm['id'], {'healthmonitor': {'delay': 6}})
active(lb['id'])
report['updated'] = {
    'loadbalancer': c.show_loadbalancer(lb['id'])['loadbalancer']['description'],
    'listener': c.show_listener(lis['id'])['listener']['connection_limit'],
    'pool': c.show_lbaas_pool(pool['id'])['pool']['lb_algorithm'],
    'member': c.show_lbaas_member(m1['id'], pool['id'])['member']['weight'],
    'healthmonitor': c.show_lbaas_healthmonitor(hm['id'])['healthmonitor']['delay'],
}

statuses = c.retrieve_loadbalancer_status(lb['id'])['statuses']['loadbalancer']
report['status_tree'] = {
    'lb': statuses['provisioning_status'],
    'pool': statuses['listeners'][0]['pools'][0]['id'] == pool['id'],
    'members': [m['provisioning_status'] for m in statuses['listeners'][0]['pools'][0]['members']],
    'hm': statuses['listeners'][0]['pools'][0]['health_monitor']['type'],
}
report['stats_keys'] = sorted(c.retrieve_loadbalancer_stats(lb['id'])['stats'].keys())
agent = c.get_lbaas_agent_hosting_loadbalancer(lb['id'])['agent']
report['hosting_agent'] = {'agent_type': agent['agent_type'], 'alive': agent['alive']}
report['agent_lbs'] = [x['id'] for x in c.list_loadbalancers_on_lbaas_agent(agent['id'])['loadbalancers']]
report['agents'] = sorted(set(a['agent_type'] for a in c.list_agents()['agents']))

try:
    c.delete_loadbalancer(lb['id'])
    report['delete_with_children'] = 'accepted'
except exceptions.NeutronClientException as e:
    report['delete_with_children'] = {'status': e.status_code}
c.delete_lbaas_healthmonitor(hm['id'])
active(lb['id'])
c.delete_lbaas_member(m1['id'], pool['id'])
active(lb['id'])
c.delete_lbaas_pool(pool['id'])
active(lb['id'])
c.delete_listener(lis['id'])
active(lb['id'])
c.delete_loadbalancer(lb['id'])
t0 = time.time()
while True:
    try:
        c.show_loadbalancer(lb['id'])
    except exceptions.NotFound:
        report['deleted'] = True
        break
    if time.time() - t0 > 30:
        report['deleted'] = False
        break
    time.sleep(0.1)
print(json.dumps(report))
