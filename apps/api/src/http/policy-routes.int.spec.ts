import { apiHarness } from '../api-harness.fixtures';
import { BASE_RULES, isRule, OPEN_PATHS, POLICY, type RuleName } from './policy';
import { registeredRoutes } from './routes.fixtures';

/**
 * Every route the app registers names a rule of the policy table (http/policy.ts), and the table holds nothing it
 * cannot mean. Routes added anywhere (another controller, another module) show up here through Nest's own metadata:
 * a route without `@Policy(...)` fails this test (and is refused with 403 at run time: the guard fails closed).
 */
const h = apiHarness({ agentId: 'agent-routes' });

describe('the policy table covers every route', () => {
  it('finds the routes (the scan itself works)', () => {
    const routes = registeredRoutes(h.app);
    expect(routes.length).toBeGreaterThan(80);
    expect(routes).toContainEqual(expect.objectContaining({ method: 'GET', path: '/v2/lbaas/loadbalancers/:id', handler: 'LoadBalancersController.show' }));
  });

  it('every registered route names a rule of the table', () => {
    const missing = registeredRoutes(h.app).filter((r) => !isRule(r.rule)).map((r) => `${r.method} ${r.path} (${r.handler}: ${String(r.rule)})`);
    expect(missing).toEqual([]);
  });

  it('only the version document and /healthcheck are open, and both are', () => {
    const open = registeredRoutes(h.app).filter((r) => r.rule === 'open');
    expect(open.map((r) => `${r.method} ${r.path}`).sort()).toEqual(['GET /', 'GET /healthcheck']);
    expect([...OPEN_PATHS].sort()).toEqual(['/', '/healthcheck']);
  });

  it('has one row per rule, every base rule is used, and every rule names a base rule', () => {
    const names = POLICY.map((r) => r.rule);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(POLICY.map((r) => r.who))).toEqual(new Set(Object.keys(BASE_RULES)));
  });

  // Written out here, apart from the table, so an edit of the table that opens one of these fails (issue 9's list).
  const adminOnly: RuleName[] = [
    'os_load-balancer_api:loadbalancer:put_failover', 'update_agent', 'get_agent', 'get_agent-loadbalancers', 'get_loadbalancer-hosting-agent',
    'create_network', 'delete_network', 'os_load-balancer_api:amphora:get_all', 'os_load-balancer_api:amphora:get_one',
    'os_load-balancer_api:amphora:delete', 'os_load-balancer_api:amphora:put_config', 'os_load-balancer_api:amphora:put_failover',
    'os_load-balancer_api:amphora:get_stats', 'os_load-balancer_api:flavor:post', 'os_load-balancer_api:flavor-profile:post',
    'os_load-balancer_api:availability-zone:post', 'os_load-balancer_api:availability-zone-profile:post',
  ];
  it.each(adminOnly)('%s is for admins only', (rule) => {
    expect(POLICY.find((r) => r.rule === rule)?.who).toBe('load-balancer:admin');
  });
  it.each(['os_load-balancer_api:quota:put', 'os_load-balancer_api:quota:delete'] as RuleName[])('%s is for (quota) admins only', (rule) => {
    expect(BASE_RULES[POLICY.find((r) => r.rule === rule)!.who].own).toEqual([]);
  });
});
