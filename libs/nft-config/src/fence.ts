import { AGENT_ID } from '@lbaas/contracts';
import { RenderError } from '@lbaas/haproxy-config';

/**
 * The kernel's dead man's switch for one agent's load balancers (issue 14, "the fence holds when the whole agent
 * service dies"): a `bridge` table in the agent host's network namespace, on the bridges its LB namespaces hang off.
 * Every frame from or to the host-side veth of one of the agent's LB namespaces (set `ports`) is dropped unless the
 * agent's lease element is in set `lease`. That element carries a timeout equal to what is left of the agent's lease;
 * each renewal replaces it in one transaction (delete + add: the transaction fails, and renews nothing, when the
 * element has already expired), so when nobody renews it the kernel alone stops the VIPs answering ARP, neighbour
 * discovery, TCP, UDP, anything, within the lease, whether or not any process of the agent is left.
 *
 * nftables looks up packet fields only, never a constant, so the one lease element is keyed by the port's link type
 * (`ether`: every veth). The tidier key, the port's bridge (`meta ibrname`), needs CONFIG_NFT_BRIDGE_META, which this
 * kernel does not have.
 *
 * One table per agent (its id is in the name), so on a host with several agents one agent's lapse fences its own
 * namespaces only. Pure: every value that reaches the text is an agent id, an interface name or an integer in range.
 */

export const FENCE_FAMILY = 'bridge';
/** Linux interface names (IFNAMSIZ 16 with the NUL) of characters nft reads literally inside quotes. */
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
/** The lease element's key (see above). */
const LEASE_KEY = 'ether';
/** The longest timeout a renewal may set (a lease is seconds; this only refuses nonsense). */
export const MAX_FENCE_TIMEOUT_MS = 600_000;

const refuse = (what: string, v: unknown): never => { throw new RenderError(`${what} ${JSON.stringify(v)} is not valid in the kernel fence`); };

/** The table of agent `agentId`. */
export function fenceTable(agentId: string): string {
  return typeof agentId === 'string' && AGENT_ID.test(agentId) ? `lbaas_fence_${agentId}` : refuse('agent id', agentId);
}

const port = (p: string): string => (typeof p === 'string' && IFNAME.test(p) ? `"${p}"` : refuse('port', p));
const timeout = (ms: number): number => (Number.isInteger(ms) && ms >= 1 && ms <= MAX_FENCE_TIMEOUT_MS ? ms : refuse('timeout (ms)', ms));

/**
 * Creates the table if it is missing and brings its rules and its `ports` to exactly `ports`, in one transaction that
 * keeps the lease element as it is (an agent that starts again neither grants nor revokes its lease by this). Ports in
 * sorted order, each once.
 */
export function renderFenceTable(agentId: string, ports: readonly string[]): string {
  const t = `${FENCE_FAMILY} ${fenceTable(agentId)}`;
  const names = [...new Set(ports.map(port))].sort();
  return [
    `add table ${t}`,
    `add set ${t} ports { type ifname; }`,
    `add set ${t} lease { type iface_type; flags timeout; }`,
    // Frames from an LB namespace (to the uplink, another port or this host), and frames to it (forwarded or sent here).
    `add chain ${t} from_lb { type filter hook prerouting priority -200; policy accept; }`,
    `add chain ${t} to_lb { type filter hook postrouting priority 200; policy accept; }`,
    `flush chain ${t} from_lb`,
    `flush chain ${t} to_lb`,
    `add rule ${t} from_lb iifname @ports meta iiftype != @lease counter drop`,
    `add rule ${t} to_lb oifname @ports meta oiftype != @lease counter drop`,
    `flush set ${t} ports`,
    ...(names.length > 0 ? [`add element ${t} ports { ${names.join(', ')} }`] : []),
    '',
  ].join('\n');
}

/**
 * A renewal: the lease element again, expiring `timeoutMs` from now. Only while it is still there: the delete fails on
 * an expired (or revoked) element and the whole transaction with it, so a late renewal never brings a lapsed lease back
 * (that takes renderFenceGrant, after the agent caught up with the stream).
 */
export function renderFenceRenewal(agentId: string, timeoutMs: number): string {
  const t = `${FENCE_FAMILY} ${fenceTable(agentId)}`;
  return `delete element ${t} lease { ${LEASE_KEY} }\nadd element ${t} lease { ${LEASE_KEY} timeout ${timeout(timeoutMs)}ms }\n`;
}

/** Grants the lease (present or not): the agent's resume after a lapse, once it has caught up with the stream. */
export function renderFenceGrant(agentId: string, timeoutMs: number): string {
  return `add element ${FENCE_FAMILY} ${fenceTable(agentId)} lease { ${LEASE_KEY} timeout ${timeout(timeoutMs)}ms }\n`;
}

/** Revokes the lease at once (the agent saw it lapse). */
export function renderFenceRevoke(agentId: string): string {
  return `flush set ${FENCE_FAMILY} ${fenceTable(agentId)} lease\n`;
}

/** Adds (or removes) one LB namespace's port. */
export function renderFencePort(agentId: string, op: 'add' | 'delete', p: string): string {
  return `${op} element ${FENCE_FAMILY} ${fenceTable(agentId)} ports { ${port(p)} }\n`;
}

/** Removes the table (the agent's `--cleanup`). */
export function renderFenceRemoval(agentId: string): string {
  return `delete table ${FENCE_FAMILY} ${fenceTable(agentId)}\n`;
}
