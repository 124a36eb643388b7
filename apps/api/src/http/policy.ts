import type { Identity } from '../auth/identity';

/**
 * Who may do what: Octavia's policy (octavia/policies/*.py) as data, in one place. Every route names one rule of
 * POLICY (`@Policy(rule)`, http/policy-guard.ts), one guard evaluates it before the handler runs, and a test fails
 * when a registered route names none. A rule says which base rule decides it; a base rule says which personas may
 * act in their own project and which everywhere; a persona is a set of role names, per mode.
 *
 * What a decision means: `all` = every project's objects are visible (admin, global observer); `project` = only the
 * caller's project's objects exist for this request (the lookup answers 404 for the others, http/lookup.ts);
 * refused = 403. The role check comes first, so a missing role is a 403 whichever object the path names (which
 * reveals nothing), and an object of another project is a 404 for a caller who holds the role.
 *
 * Modes (POLICY_MODE):
 * - `new` (the default): Octavia's current defaults (keystone_default_roles.py, oslo.policy >= 4.4 with
 *   enforce_new_defaults and enforce_scope): reader and member in their own project, admin everywhere; project-scoped
 *   tokens only (system-, domain-scoped and unscoped tokens are refused). New because every maintained Octavia
 *   (2024.2 onwards) enforces these, and the legacy roles were deprecated in Wallaby.
 * - `legacy`: enforce_new_defaults=False, as Debian 12's Octavia 11 runs: the deprecated `load-balancer_*` roles
 *   (advanced_rbac.py) count as well as the new ones (oslo.policy ORs a deprecated rule with its replacement), and
 *   scope is not enforced (a system-scoped admin token is an admin).
 * - noauth (AUTH_STRATEGY, not a mode): every caller is admin (Octavia's `is_admin:True` under noauth).
 */
export type PolicyMode = 'new' | 'legacy';

/** The personas Octavia's base rules are made of. */
export type Persona = 'admin' | 'global-observer' | 'quota-admin' | 'project-member' | 'project-reader' | 'service';

/** Role names of each persona, per mode (a caller is the persona if it holds any of them). */
export const PERSONAS: Readonly<Record<PolicyMode, Readonly<Record<Persona, readonly string[]>>>> = {
  new: {
    'admin': ['admin'],
    'global-observer': ['admin'],
    'quota-admin': ['admin'],
    'project-member': ['member'],
    'project-reader': ['reader'],
    'service': ['service'],
  },
  legacy: {
    'admin': ['admin', 'load-balancer_admin'],
    'global-observer': ['admin', 'load-balancer_admin', 'load-balancer_global_observer'],
    'quota-admin': ['admin', 'load-balancer_admin', 'load-balancer_quota_admin'],
    'project-member': ['member', 'load-balancer_member'],
    'project-reader': ['reader', 'load-balancer_observer'],
    'service': ['service'],
  },
};

/** A base rule: who may act on their own project's objects, and who on every project's. */
export type Who = Readonly<{ own: readonly Persona[]; everywhere: readonly Persona[] }>;

/** Octavia's base rules (base.py), plus `open` (no authentication) and the service persona's member list. */
export const BASE_RULES = {
  'open': { own: [], everywhere: [] },
  'load-balancer:read': { own: ['project-reader', 'project-member'], everywhere: ['global-observer', 'admin'] },
  'load-balancer:write': { own: ['project-member'], everywhere: ['admin'] },
  'load-balancer:read-quota': { own: ['project-reader', 'project-member'], everywhere: ['global-observer', 'quota-admin', 'admin'] },
  'load-balancer:write-quota': { own: [], everywhere: ['quota-admin', 'admin'] },
  'load-balancer:admin': { own: [], everywhere: ['admin'] },
  /** Other services (role `service`) may list the members of any pool (Octavia's service persona). */
  'load-balancer:read-or-service': { own: ['project-reader', 'project-member'], everywhere: ['global-observer', 'admin', 'service'] },
} as const satisfies Record<string, Who>;
export type BaseRule = keyof typeof BASE_RULES;

/** One rule: its name (Octavia's, Neutron's or Barbican's where they have one), the base rule deciding it, what it guards. */
export type PolicyRow = Readonly<{ rule: string; who: BaseRule; what: string }>;

const LB = 'os_load-balancer_api';
const R = 'load-balancer:read', W = 'load-balancer:write', ADMIN = 'load-balancer:admin';

/** The table: one row per rule. Rules without a route yet (amphorae, flavors, availability zones) are given now. */
export const POLICY = [
  { rule: 'open', who: 'open', what: 'The version document (/) and /healthcheck: no token needed' },

  { rule: `${LB}:loadbalancer:get_all`, who: R, what: 'List load balancers (every project\'s for admins and global observers)' },
  { rule: `${LB}:loadbalancer:post`, who: W, what: 'Create a load balancer (project_id naming another project: admins only)' },
  { rule: `${LB}:loadbalancer:get_one`, who: R, what: 'Show a load balancer' },
  { rule: `${LB}:loadbalancer:put`, who: W, what: 'Update a load balancer' },
  { rule: `${LB}:loadbalancer:delete`, who: W, what: 'Delete a load balancer (cascade too)' },
  { rule: `${LB}:loadbalancer:get_stats`, who: R, what: 'Show a load balancer\'s statistics' },
  { rule: `${LB}:loadbalancer:get_status`, who: R, what: 'Show a load balancer\'s status tree' },
  { rule: `${LB}:loadbalancer:put_failover`, who: ADMIN, what: 'Fail a load balancer over to another agent' },
  { rule: 'lbaas:loadbalancer:get_history', who: R, what: 'Show a load balancer\'s history (an extension: the audit trail)' },

  { rule: `${LB}:listener:get_all`, who: R, what: 'List listeners' },
  { rule: `${LB}:listener:post`, who: W, what: 'Create a listener (its certificates must be its project\'s)' },
  { rule: `${LB}:listener:get_one`, who: R, what: 'Show a listener' },
  { rule: `${LB}:listener:put`, who: W, what: 'Update a listener' },
  { rule: `${LB}:listener:delete`, who: W, what: 'Delete a listener' },
  { rule: `${LB}:listener:get_stats`, who: R, what: 'Show a listener\'s statistics' },

  { rule: `${LB}:pool:get_all`, who: R, what: 'List pools' },
  { rule: `${LB}:pool:post`, who: W, what: 'Create a pool' },
  { rule: `${LB}:pool:get_one`, who: R, what: 'Show a pool' },
  { rule: `${LB}:pool:put`, who: W, what: 'Update a pool' },
  { rule: `${LB}:pool:delete`, who: W, what: 'Delete a pool' },

  { rule: `${LB}:member:get_all`, who: 'load-balancer:read-or-service', what: 'List a pool\'s members (also for the service role)' },
  { rule: `${LB}:member:post`, who: W, what: 'Create a member' },
  { rule: `${LB}:member:get_one`, who: R, what: 'Show a member' },
  { rule: `${LB}:member:put`, who: W, what: 'Update a member, or a pool\'s members in one batch' },
  { rule: `${LB}:member:delete`, who: W, what: 'Delete a member' },

  { rule: `${LB}:healthmonitor:get_all`, who: R, what: 'List health monitors' },
  { rule: `${LB}:healthmonitor:post`, who: W, what: 'Create a health monitor' },
  { rule: `${LB}:healthmonitor:get_one`, who: R, what: 'Show a health monitor' },
  { rule: `${LB}:healthmonitor:put`, who: W, what: 'Update a health monitor' },
  { rule: `${LB}:healthmonitor:delete`, who: W, what: 'Delete a health monitor' },

  { rule: `${LB}:l7policy:get_all`, who: R, what: 'List L7 policies' },
  { rule: `${LB}:l7policy:post`, who: W, what: 'Create an L7 policy' },
  { rule: `${LB}:l7policy:get_one`, who: R, what: 'Show an L7 policy' },
  { rule: `${LB}:l7policy:put`, who: W, what: 'Update an L7 policy' },
  { rule: `${LB}:l7policy:delete`, who: W, what: 'Delete an L7 policy' },

  { rule: `${LB}:l7rule:get_all`, who: R, what: 'List an L7 policy\'s rules' },
  { rule: `${LB}:l7rule:post`, who: W, what: 'Create an L7 rule' },
  { rule: `${LB}:l7rule:get_one`, who: R, what: 'Show an L7 rule' },
  { rule: `${LB}:l7rule:put`, who: W, what: 'Update an L7 rule' },
  { rule: `${LB}:l7rule:delete`, who: W, what: 'Delete an L7 rule' },

  { rule: `${LB}:quota:get_all`, who: 'load-balancer:read-quota', what: 'List quotas (every project\'s for admins, quota admins and global observers)' },
  { rule: `${LB}:quota:get_one`, who: 'load-balancer:read-quota', what: 'Show a project\'s quota' },
  { rule: `${LB}:quota:put`, who: 'load-balancer:write-quota', what: 'Set a project\'s quota' },
  { rule: `${LB}:quota:delete`, who: 'load-balancer:write-quota', what: 'Reset a project\'s quota' },
  { rule: `${LB}:quota:get_defaults`, who: 'load-balancer:read-quota', what: 'Show the default quota' },

  { rule: `${LB}:provider:get_all`, who: R, what: 'List providers' },
  { rule: `${LB}:provider-flavor:get_all`, who: ADMIN, what: 'List a provider\'s flavor capabilities' },
  { rule: `${LB}:provider-availability-zone:get_all`, who: ADMIN, what: 'List a provider\'s availability zone capabilities' },
  { rule: `${LB}:flavor:get_all`, who: R, what: 'List flavors' },
  { rule: `${LB}:flavor:get_one`, who: R, what: 'Show a flavor' },
  { rule: `${LB}:flavor:post`, who: ADMIN, what: 'Create a flavor' },
  { rule: `${LB}:flavor:put`, who: ADMIN, what: 'Update a flavor' },
  { rule: `${LB}:flavor:delete`, who: ADMIN, what: 'Delete a flavor' },
  { rule: `${LB}:flavor-profile:get_all`, who: ADMIN, what: 'List flavor profiles' },
  { rule: `${LB}:flavor-profile:get_one`, who: ADMIN, what: 'Show a flavor profile' },
  { rule: `${LB}:flavor-profile:post`, who: ADMIN, what: 'Create a flavor profile' },
  { rule: `${LB}:flavor-profile:put`, who: ADMIN, what: 'Update a flavor profile' },
  { rule: `${LB}:flavor-profile:delete`, who: ADMIN, what: 'Delete a flavor profile' },
  { rule: `${LB}:availability-zone:get_all`, who: R, what: 'List availability zones' },
  { rule: `${LB}:availability-zone:get_one`, who: R, what: 'Show an availability zone' },
  { rule: `${LB}:availability-zone:post`, who: ADMIN, what: 'Create an availability zone' },
  { rule: `${LB}:availability-zone:put`, who: ADMIN, what: 'Update an availability zone' },
  { rule: `${LB}:availability-zone:delete`, who: ADMIN, what: 'Delete an availability zone' },
  { rule: `${LB}:availability-zone-profile:get_all`, who: ADMIN, what: 'List availability zone profiles' },
  { rule: `${LB}:availability-zone-profile:get_one`, who: ADMIN, what: 'Show an availability zone profile' },
  { rule: `${LB}:availability-zone-profile:post`, who: ADMIN, what: 'Create an availability zone profile' },
  { rule: `${LB}:availability-zone-profile:put`, who: ADMIN, what: 'Update an availability zone profile' },
  { rule: `${LB}:availability-zone-profile:delete`, who: ADMIN, what: 'Delete an availability zone profile' },
  { rule: `${LB}:amphora:get_all`, who: ADMIN, what: 'List amphorae (here: the agents\' load-balancer hosts)' },
  { rule: `${LB}:amphora:get_one`, who: ADMIN, what: 'Show an amphora' },
  { rule: `${LB}:amphora:delete`, who: ADMIN, what: 'Delete an amphora' },
  { rule: `${LB}:amphora:put_config`, who: ADMIN, what: 'Refresh an amphora\'s configuration' },
  { rule: `${LB}:amphora:put_failover`, who: ADMIN, what: 'Fail an amphora over' },
  { rule: `${LB}:amphora:get_stats`, who: ADMIN, what: 'Show an amphora\'s statistics' },

  // Neutron's resources that this LBaaS serves itself (neutron's policy names).
  { rule: 'get_network', who: R, what: 'List and show networks (own and shared ones)' },
  { rule: 'create_network', who: ADMIN, what: 'Create a network: every network here is a flat provider network (Neutron: create_network:provider:*)' },
  { rule: 'delete_network', who: ADMIN, what: 'Delete a (provider) network' },
  { rule: 'get_subnet', who: R, what: 'List and show subnets (own and those of shared networks)' },
  { rule: 'create_subnet', who: W, what: 'Create a subnet on a network of the caller\'s project' },
  { rule: 'delete_subnet', who: W, what: 'Delete a subnet of the caller\'s project' },
  { rule: 'get_port', who: R, what: 'List and show ports (the caller\'s VIP allocations)' },
  { rule: 'get_agent', who: ADMIN, what: 'List and show agents' },
  { rule: 'update_agent', who: ADMIN, what: 'Enable or disable an agent (drains it)' },
  { rule: 'get_agent-loadbalancers', who: ADMIN, what: 'List the load balancers an agent hosts' },
  { rule: 'get_loadbalancer-hosting-agent', who: ADMIN, what: 'Show which agent hosts a load balancer' },

  // Barbican's (Key Manager v1) subset: a private key is readable by members only, never by readers.
  { rule: 'secrets:post', who: W, what: 'Store a secret (owned by the caller\'s project)' },
  { rule: 'secret:get', who: R, what: 'Show a secret\'s metadata' },
  { rule: 'secret:decrypt', who: W, what: 'Read a secret\'s payload (a private key: members only)' },
  { rule: 'secret:delete', who: W, what: 'Delete a secret' },
  { rule: 'containers:post', who: W, what: 'Store a certificate container (of the caller\'s own secrets only)' },
  { rule: 'container:get', who: R, what: 'Show a container' },
  { rule: 'container:delete', who: W, what: 'Delete a container' },

  // Keystone's project lookups that the CLI makes against an endpoint given with --os-endpoint (noauth's stand-in).
  { rule: 'identity:get_project', who: R, what: 'Show a project (noauth: every well-formed id exists)' },
  { rule: 'identity:list_projects', who: R, what: 'Find projects by name' },
] as const satisfies readonly PolicyRow[];

export type RuleName = (typeof POLICY)[number]['rule'];

const BY_RULE: ReadonlyMap<string, PolicyRow> = new Map(POLICY.map((r) => [r.rule, r]));

/** True if `rule` is a row of the table. */
export const isRule = (rule: unknown): rule is RuleName => typeof rule === 'string' && BY_RULE.has(rule);

/** The paths that need no token (Octavia's keystonemiddleware lets the version document and /healthcheck through). */
export const OPEN_PATHS: readonly string[] = ['/', '/healthcheck'];

/** What a caller may see while a request runs: every project's objects, or one project's. */
export type Access = Readonly<{ kind: 'all' }> | Readonly<{ kind: 'project'; projectId: string }>;
export type Decision = Access | Readonly<{ kind: 'refused'; reason: string }>;

/** Octavia's PolicyForbidden text. */
export const POLICY_FORBIDDEN = 'Policy does not allow this request to be performed.';

const holds = (identity: Identity, personas: readonly Persona[], mode: PolicyMode): boolean =>
  personas.some((p) => PERSONAS[mode][p].some((role) => identity.roles.includes(role)));

/** Evaluates `rule` for `identity` (null: not authenticated) in `mode` (pure). */
export function authorize(rule: RuleName, identity: Identity | null, mode: PolicyMode): Decision {
  const row = BY_RULE.get(rule);
  if (!row) return { kind: 'refused', reason: `no policy rule ${rule}` };
  if (row.who === 'open') return { kind: 'all' };
  if (identity === null) return { kind: 'refused', reason: 'not authenticated' };
  // Octavia under noauth: is_admin:True for everybody.
  if (identity.source === 'noauth') return { kind: 'all' };
  if (mode === 'new' && (identity.systemScope !== null || identity.projectId === null)) {
    return { kind: 'refused', reason: identity.systemScope ? 'system-scoped tokens are refused (project scope only)' : 'the token is not project-scoped' };
  }
  const who: Who = BASE_RULES[row.who];
  if (holds(identity, who.everywhere, mode)) return { kind: 'all' };
  if (identity.projectId !== null && holds(identity, who.own, mode)) return { kind: 'project', projectId: identity.projectId };
  return { kind: 'refused', reason: `${rule} (${row.who}) needs one of the roles ${[...new Set([...who.own, ...who.everywhere].flatMap((p) => PERSONAS[mode][p]))].join(', ') || '(none)'}` };
}
