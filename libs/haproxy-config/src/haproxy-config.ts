import { LIMITS } from '@lbaas/events';
import type { DesiredLb, DesiredListener, DesiredMember, DesiredMonitor, DesiredPool } from '@lbaas/projections';
import { renderAllowedCidrs, renderL7 } from './l7-config';
import { refuse as fail, RenderError } from './render-error';
import { bindTlsOptions, hstsLines, serverTlsOptions, sslHeaderLines, TLS_FILES } from './tls-config';

export type RenderOptions = {
  /** Admin stats socket (≤ 97 chars: haproxy 2.6 refuses longer unix paths). */
  statsSocket: string;
  /**
   * Upper bound for the global maxconn: haproxy refuses to start when 2 x maxconn exceeds its open-files limit,
   * so the agent passes what the host allows (see config.ts). Default 1,000,000 (Octavia's cap).
   */
  maxconnCap?: number;
  /**
   * TERMINATED_HTTPS and re-encrypting pools: where the agent wrote the PEMs, crt-lists, CAs and CRLs (names in
   * TLS_FILES), and their digest (a new certificate or CRL reloads haproxy).
   */
  certDir?: string;
  certDigest?: string;
  /**
   * Render the pools without health checks: the agent's copy of a planned move holds the VIP back (answers no ARP) until
   * the old copy lets go, and checks from it would fail meanwhile and mark every member down at the moment it takes over.
   */
  withoutHealthChecks?: boolean;
};

/** One `server` line as data: what the agent compares with the running haproxy and sends over its admin socket. */
export type ServerSpec = Readonly<{
  /** The backend (pool id) and the server name (member id). */
  backend: string;
  name: string;
  address: string;
  port: number;
  weight: number;
  backup: boolean;
  /** False renders `disabled` (maintenance). */
  enabled: boolean;
  /** Explicit server id in hashing pools, so the consistent-hash ring is the same after a runtime add and after a reload. */
  id: number | null;
  check: ServerCheck | null;
  /** HTTP_COOKIE persistence: the cookie value (haproxy 2.6 refuses `cookie` on a server added at runtime). */
  cookie: string | null;
  proxy: 'send-proxy' | 'send-proxy-v2' | null;
  /** A re-encrypting pool's `ssl ...` options (the same on every server of the pool); null or absent: plain. */
  tls?: string | null;
}>;
/** A server's health check (from its pool's monitor); `addr`/`port` are the member's monitor address and port. */
export type ServerCheck = Readonly<{ inter: number; fall: number; rise: number; ssl: boolean; addr: string | null; port: number | null }>;

/** A rendered config: the file, what only a reload can change (`structure`), and every server as data. */
export type RenderedConfig = Readonly<{
  text: string;
  /**
   * The file without its server lines, plus what every server of a backend shares and only a reload or a re-add can
   * change (check timings, TLS checks, PROXY protocol, cookies): equal structures mean the runtime API can do the rest.
   */
  structure: string;
  servers: readonly ServerSpec[];
}>;

// Every value that reaches the file passes one of these: ids, numbers, enums, IP literals, or a pre-validated string.
const UNSAFE = /[\s\x00-\x1f\x7f"'\\#$]/;
const safe = (what: string, v: string, re: RegExp): string =>
  typeof v === 'string' && v.length > 0 && !UNSAFE.test(v) && re.test(v) ? v : fail(what, v);
const id = (what: string, v: string) => safe(what, v, /^[A-Za-z0-9_-]{1,64}$/);
const int = (what: string, v: number, min: number, max: number): number =>
  Number.isInteger(v) && v >= min && v <= max ? v : fail(what, v);
const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const ipv6 = /^[0-9A-Fa-f:.]{2,45}$/;
const ip = (what: string, v: string) => (ipv4.test(v) || (v.includes(':') && ipv6.test(v)) ? safe(what, v, /./) : fail(what, v));
const hostPort = (addr: string, port: number) => (addr.includes(':') ? `ipv6@${addr}:${port}` : `${addr}:${port}`);
const urlPath = (v: string) => safe('url_path', v, /^\/[A-Za-z0-9._~!&()*+,;=:@%/?-]*$/);
const cookieName = (v: string) => safe('cookie_name', v, /^[A-Za-z0-9_.-]{1,64}$/);
const domainName = (v: string) => safe('domain_name', v, /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})(:\d{1,5})?$/);
const path = (v: string) => (v.length <= 97 ? safe('socket path', v, /^\/[A-Za-z0-9._/-]+$/) : fail('socket path (> 97 chars)', v));

/**
 * PING monitors run haproxy's external check with this script (one ICMP echo, like Octavia's ping-wrapper.sh). The agent
 * writes it into its run dir, next to the LB dirs: derived from the stats socket `<runDir>/<lbId>/s.sock`, so every
 * renderer (the agent, the DR drill) names the same file without another option.
 */
export const PING_CHECK_SCRIPT = 'ping-check';
export const pingCheckPath = (statsSocket: string): string => `${statsSocket.split('/').slice(0, -2).join('/')}/${PING_CHECK_SCRIPT}`;

/**
 * Where haproxy keeps server state across reloads (`show servers state`, saved by the agent before each reload): next
 * to the stats socket, in the LB's own dir.
 */
export const SERVER_STATE_FILE = 'servers.state';
export const serverStatePath = (statsSocket: string): string => `${statsSocket.split('/').slice(0, -1).join('/')}/${SERVER_STATE_FILE}`;

/** `"200"`, `"200,202"` or `"200-204"` → an anchored regex for `http-check expect rstatus` (Octavia's mapping). */
export function expectedCodesRegex(codes: string | null): string {
  const raw = codes ?? '200';
  const code = (c: string) => (/^[1-5]\d\d$/.test(c) ? Number(c) : fail('expected_codes', raw));
  let list: number[];
  if (/^\d{3}-\d{3}$/.test(raw)) {
    const [lo, hi] = raw.split('-').map(code);
    if (hi < lo) fail('expected_codes', raw);
    list = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  } else {
    list = raw.split(',').map((c) => code(c.trim()));
  }
  return `^(${list.join('|')})$`;
}

const ms = (v: number) => `${int('timeout', v, 0, 2_073_600_000)}ms`;
const MODE: Record<string, 'http' | 'tcp' | undefined> = { HTTP: 'http', TCP: 'tcp', HTTPS: 'tcp', TERMINATED_HTTPS: 'http', PROMETHEUS: 'http' };
// SOURCE_IP_PORT (API 2.13) hashes address and port: the port goes through a variable because `concat` takes variables.
const BALANCE: Record<string, string> = { ROUND_ROBIN: 'roundrobin', LEAST_CONNECTIONS: 'leastconn', SOURCE_IP: 'source', SOURCE_IP_PORT: 'hash src,concat(:,sess.src_port)' };
// The hashing algorithms render `hash-type consistent`: the default map-based hash refuses servers added at runtime
// ("Backend must use a dynamic load balancing") and reshuffles every client when the member set changes.
const HASHING = new Set(['SOURCE_IP', 'SOURCE_IP_PORT']);

/**
 * Server ids of a hashing pool, from the member ids (FNV-1a, probing past a taken id in member order): the ring
 * position of a server depends on its id, so a server keeps its place whether it came by `add server` or by a reload.
 */
const SERVER_ID_RANGE = 999_983;
function serverIds(memberIds: readonly string[]): Map<string, number> {
  const taken = new Set<number>();
  const out = new Map<string, number>();
  for (const memberId of memberIds) {
    let h = 0x811c9dc5;
    for (let i = 0; i < memberId.length; i++) h = Math.imul(h ^ memberId.charCodeAt(i), 0x01000193) >>> 0;
    let sid = (h % SERVER_ID_RANGE) + 1;
    while (taken.has(sid)) sid = (sid % SERVER_ID_RANGE) + 1;
    taken.add(sid);
    out.set(memberId, sid);
  }
  return out;
}

/** Renders one load balancer into a complete haproxy.cfg (Octavia's combined_listeners mapping). Pure and deterministic. */
export function renderHaproxyConfig(lb: DesiredLb, opts: RenderOptions): string {
  return renderHaproxy(lb, opts).text;
}

/** renderHaproxyConfig with its parts: the structure only a reload changes, and every server as data. */
export function renderHaproxy(lb: DesiredLb, opts: RenderOptions): RenderedConfig {
  id('lb id', lb.lbId);
  // The VIP and every additional VIP (API additional_vips): each listener binds on all of them.
  const vips = [lb.vip.address, ...(lb.additionalVips ?? []).map((v) => v.address)].map((a) => ip('vip address', a));
  const listeners = lb.adminStateUp ? lb.listeners.filter((l) => l.adminStateUp) : [];
  for (const l of lb.listeners) if (!MODE[l.protocol]) throw new RenderError(`listener ${l.listenerId}: protocol ${l.protocol} is not supported by this data plane`);
  const pools = lb.pools.filter((p) => p.adminStateUp);
  // A pool's users: listeners that default to it or redirect to it (its mode and timeouts follow theirs).
  const users = (poolId: string) => lb.listeners.filter((l) => l.defaultPoolId === poolId || (l.l7Policies ?? []).some((p) => p.redirectPoolId === poolId));
  // Octavia: the sum of the listeners' limits, an unlimited one counted as 50,000.
  const limits = listeners.map((l) => (l.connectionLimit >= 1 ? l.connectionLimit : 50000));
  const maxconn = Math.min(opts.maxconnCap ?? 1_000_000, 1_000_000, limits.reduce((a, b) => a + b, 0) || 50000);

  const out = [
    // No version in the file: a change that renders the same config must not reload haproxy.
    `# lbaas: load balancer ${lb.lbId} (generated; do not edit)`,
    ...(opts.certDigest ? [`# certificates ${safe('cert digest', opts.certDigest, /^[0-9a-f]{64}$/)}`] : []),
    'global',
    '    master-worker',
    '    user haproxy',
    '    group haproxy',
    `    maxconn ${int('maxconn', maxconn, 1, 1_000_000)}`,
    // One thread per LB, as neutron-lbaas's haproxy was: a host runs hundreds of LBs, not one per core (haproxy's default
    // is a thread per CPU). Measured with 100 idle LBs checking 2 members every 2 s: 2 threads cost 170 ms of CPU per
    // 20 s (a wake-up of the other thread per check), 1 thread under 10 ms.
    '    nbthread 1',
    `    stats socket ${path(opts.statsSocket)} mode 600 level admin`,
    // haproxy's own HTTP client (unused here: no Lua, no httpclient) would load the system CA store at every start and
    // check: ~18 ms of CPU each, most of a start's cost, paid per LB when an agent builds a hundred at once.
    '    httpclient.ssl.verify none',
    // Weights, maintenance and health survive a reload: the agent saves `show servers state` here first.
    `    server-state-file ${path(serverStatePath(opts.statsSocket))}`,
    // External checks fork from the worker: haproxy wants both switches (only when a PING monitor needs them).
    ...(!opts.withoutHealthChecks && pools.some((p) => p.monitor?.adminStateUp && p.monitor.type === 'PING') ? ['    external-check', '    insecure-fork-wanted'] : []),
    '',
    'defaults',
    '    retries 3',
    '    option redispatch',
    '    timeout connect 5s',
    '    timeout client 50s',
    '    timeout server 50s',
    '    timeout check 5s',
    '    load-server-state-from-file global',
    '',
  ];
  const enabledPools = new Set(pools.map((p) => p.poolId));
  for (const l of listeners) out.push(...frontend(l, vips, enabledPools, opts.certDir), '');
  const servers: ServerSpec[] = [];
  const shared: string[] = [];
  for (const p of pools) {
    const b = backend(p, users(p.poolId), pingCheckPath(opts.statsSocket), opts.withoutHealthChecks === true, opts.certDir);
    out.push(...b.lines, '');
    servers.push(...b.servers);
    shared.push(`${p.poolId} ${b.shared}`);
  }
  const text = out.join('\n');
  const structure = [...out.filter((l) => !l.startsWith(SERVER_LINE)), '# servers share', ...shared].join('\n');
  return { text, structure, servers };
}

const SERVER_LINE = '    server ';

function frontend(l: DesiredListener, vips: readonly string[], enabledPools: ReadonlySet<string>, certDir?: string): string[] {
  const poolEnabled = l.defaultPoolId !== null && enabledPools.has(l.defaultPoolId);
  const mode = MODE[l.protocol] as 'http' | 'tcp';
  // TLS options without TLS termination would be silently dropped: refuse (the API never sends them).
  if (l.tlsOptions && l.protocol !== 'TERMINATED_HTTPS') throw new RenderError(`listener ${l.listenerId}: TLS options on a ${l.protocol} listener`);
  if (l.protocol === 'PROMETHEUS') return prometheusFrontend(l, vips);
  const lines = [
    `frontend ${id('listener id', l.listenerId)}`,
    `    mode ${mode}`,
    ...vips.map((vip) => `    bind ${hostPort(vip, int('protocol_port', l.protocolPort, 1, 65535))}${l.protocol === 'TERMINATED_HTTPS' ? tlsBind(l, certDir) : ''}`),
  ];
  if (l.connectionLimit >= 1) lines.push(`    maxconn ${int('connection_limit', l.connectionLimit, 1, 1_000_000)}`);
  lines.push(`    timeout client ${ms(l.timeoutClientData)}`);
  lines.push(...renderAllowedCidrs(l.allowedCidrs));
  if (l.timeoutTcpInspect > 0) lines.push(`    tcp-request inspect-delay ${ms(l.timeoutTcpInspect)}`);
  if (mode === 'http') {
    lines.push('    option forwardfor');
    if (/^true$/i.test(l.insertHeaders['X-Forwarded-Port'] ?? '')) lines.push('    http-request set-header X-Forwarded-Port %[dst_port]');
    if (/^true$/i.test(l.insertHeaders['X-Forwarded-Proto'] ?? '')) {
      lines.push(`    http-request set-header X-Forwarded-Proto ${l.protocol === 'TERMINATED_HTTPS' ? 'https' : 'http'}`);
    }
    lines.push(...sslHeaderLines(l));
    if (l.protocol === 'TERMINATED_HTTPS') lines.push(...hstsLines(l.tlsOptions?.hsts ?? null));
  }
  if (mode === 'http') lines.push(...renderL7(l.l7Policies ?? [], enabledPools));
  // A missing or disabled default pool leaves the frontend without a backend: haproxy answers 503, like Octavia.
  if (l.defaultPoolId && poolEnabled) lines.push(`    default_backend ${id('pool id', l.defaultPoolId)}`);
  return lines;
}

/**
 * ` ssl crt-list <dir>/<listener>.crtlist`: the default certificate first, SNI picks among the rest (Octavia's
 * crt-list); then the listener's TLS options (client CA and CRL, ciphers, versions, ALPN).
 */
function tlsBind(l: DesiredListener, certDir?: string): string {
  if (!l.tls || !certDir) throw new RenderError(`listener ${l.listenerId}: TERMINATED_HTTPS without resolved certificates`);
  const crtList = safe('crt-list path', `${certDir}/${TLS_FILES.crtList(id('listener id', l.listenerId))}`, /^\/[A-Za-z0-9._/-]{1,4000}$/);
  return ` ssl crt-list ${crtList}${bindTlsOptions(l, certDir)}`;
}

/**
 * A PROMETHEUS listener: haproxy's built-in exporter (this haproxy is built with it: `haproxy -vv` lists the
 * prometheus-exporter service) answers `/metrics` with this load balancer's frontends, backends and servers; any other
 * path is a 404. No pools, no L7 (the API refuses them), the listener's own limits and allowed_cidrs apply.
 */
function prometheusFrontend(l: DesiredListener, vips: readonly string[]): string[] {
  const lines = [
    `frontend ${id('listener id', l.listenerId)}`,
    '    mode http',
    ...vips.map((vip) => `    bind ${hostPort(vip, int('protocol_port', l.protocolPort, 1, 65535))}`),
  ];
  if (l.connectionLimit >= 1) lines.push(`    maxconn ${int('connection_limit', l.connectionLimit, 1, 1_000_000)}`);
  lines.push(`    timeout client ${ms(l.timeoutClientData)}`, ...renderAllowedCidrs(l.allowedCidrs));
  lines.push('    http-request use-service prometheus-exporter if { path /metrics }', '    http-request return status 404');
  return lines;
}

function backend(
  p: DesiredPool, users: DesiredListener[], pingCheck: string, withoutHealthChecks: boolean, certDir: string | undefined,
): { lines: string[]; servers: ServerSpec[]; shared: string } {
  const first = users[0];
  // The backend's mode must equal its frontends' mode; an unattached pool follows its own protocol.
  const mode = first ? (MODE[first.protocol] as 'http' | 'tcp') : p.protocol === 'HTTP' ? 'http' : 'tcp';
  const hm = p.monitor && p.monitor.adminStateUp && !withoutHealthChecks ? p.monitor : null;
  const hashing = HASHING.has(p.lbAlgorithm);
  const lines = [
    `backend ${id('pool id', p.poolId)}`,
    `    mode ${mode}`,
    ...(p.lbAlgorithm === 'SOURCE_IP_PORT' ? ['    tcp-request content set-var(sess.src_port) src_port'] : []),
    `    balance ${BALANCE[p.lbAlgorithm] ?? fail('lb_algorithm', p.lbAlgorithm)}`,
    ...(hashing ? ['    hash-type consistent'] : []),
  ];
  if (first) lines.push(`    timeout connect ${ms(first.timeoutMemberConnect)}`, `    timeout server ${ms(first.timeoutMemberData)}`);
  const sp = p.sessionPersistence;
  if (sp?.type === 'SOURCE_IP') lines.push('    stick-table type ipv6 size 10k', '    stick on src');
  if (sp?.type === 'HTTP_COOKIE' && mode === 'http') lines.push('    cookie SRV insert indirect nocache');
  if (sp?.type === 'APP_COOKIE' && mode === 'http') {
    const name = cookieName(sp.cookieName ?? fail('cookie_name', null));
    lines.push('    stick-table type string len 64 size 10k', `    stick store-response res.cook(${name})`, `    stick match req.cook(${name})`);
  }
  const tls = p.tls ? serverTlsOptions(id('pool id', p.poolId), p.tls, certDir, hm !== null) : null;
  if (hm) lines.push(...monitor(hm, pingCheck, tls !== null));
  // Always: a backup member added at runtime must behave as one in the file (every backup used once the others are down).
  lines.push('    option allbackups');
  const cookie = sp?.type === 'HTTP_COOKIE' && mode === 'http';
  const ids = hashing ? serverIds(p.members.map((m) => m.memberId)) : null;
  const servers = p.members.map((m) => serverSpec(p, m, hm, cookie, ids?.get(m.memberId) ?? null, tls));
  for (const s of servers) lines.push(`${SERVER_LINE}${serverArgs(s, 'config')}`);
  const check = hm ? checkOf(hm, null, tls !== null) : null;
  // A re-encrypting pool's files (client certificate, CA, CRL) must be in haproxy's store before `add server` may name
  // them: haproxy 2.6 loads them only while it reads the file ("unable to stat SSL certificate" at runtime). So a pool
  // going from no server to some reloads; once a server in the file loaded them, members come and go at runtime.
  const shared = [check ? `check inter ${check.inter} fall ${check.fall} rise ${check.rise}${check.ssl ? ' ssl' : ''}` : 'no check',
    cookie ? 'cookie' : 'no cookie', proxyOf(p.protocol) ?? 'no proxy',
    ...(tls ? [`tls ${tls}`, servers.length > 0 ? 'tls files loaded' : 'tls files not loaded'] : [])].join(', ');
  return { lines, servers, shared };
}

/** `poolTls`: the servers speak TLS already, and their checks with them (no `check-ssl verify none`, no plain-text SSL hello). */
function monitor(hm: DesiredMonitor, pingCheck: string, poolTls: boolean): string[] {
  const lines = [`    timeout check ${int('monitor timeout', hm.timeout, 1, 86400)}s`];
  if (hm.type === 'HTTP' || hm.type === 'HTTPS') {
    const method = safe('http_method', hm.httpMethod ?? 'GET', /^[A-Z]{3,7}$/);
    const url = urlPath(hm.urlPath ?? '/');
    const v11 = hm.httpVersion === 1.1 || hm.domainName !== null;
    lines.push(`    option httpchk ${method} ${url}${v11 ? ' HTTP/1.1' : ''}`);
    if (hm.domainName !== null) lines.push(`    http-check send hdr Host ${domainName(hm.domainName)}`);
    lines.push(`    http-check expect rstatus ${expectedCodesRegex(hm.expectedCodes)}`);
  } else if (hm.type === 'TLS-HELLO' && !poolTls) {
    // With re-encryption the plain check is already a full TLS handshake with the member (verified as the traffic is).
    lines.push('    option ssl-hello-chk');
  } else if (hm.type === 'PING') {
    lines.push('    option external-check', `    external-check command ${path(pingCheck)}`);
  }
  // TCP monitors are plain connect checks.
  return lines;
}

const proxyOf = (protocol: DesiredPool['protocol']): ServerSpec['proxy'] =>
  (protocol === 'PROXY' ? 'send-proxy' : protocol === 'PROXYV2' ? 'send-proxy-v2' : null);

const checkOf = (hm: DesiredMonitor, m: DesiredMember | null, poolTls: boolean): ServerCheck => ({
  inter: int('delay', hm.delay, 1, 86400), fall: int('max_retries_down', hm.maxRetriesDown, 1, 10), rise: int('max_retries', hm.maxRetries, 1, 10),
  ssl: hm.type === 'HTTPS' && !poolTls,
  addr: m?.monitorAddress != null ? ip('monitor_address', m.monitorAddress) : null,
  port: m?.monitorPort != null ? int('monitor_port', m.monitorPort, 1, 65535) : null,
});

function serverSpec(p: DesiredPool, m: DesiredMember, hm: DesiredMonitor | null, cookie: boolean, sid: number | null, tls: string | null): ServerSpec {
  const name = id('member id', m.memberId);
  return {
    backend: id('pool id', p.poolId), name, address: ip('member address', m.address), port: int('member port', m.protocolPort, 1, 65535),
    weight: int('weight', m.weight, LIMITS.member.weight.min, LIMITS.member.weight.max), backup: m.backup, enabled: m.adminStateUp,
    id: sid, check: hm ? checkOf(hm, m, tls !== null) : null, cookie: cookie ? name : null, proxy: proxyOf(p.protocol), tls,
  };
}

/**
 * A server's arguments after its name, as the config file writes them or as `add server` takes them. `add server`
 * gets neither `disabled` (a server added at runtime starts in maintenance; the agent enables it, since one added
 * `disabled` could not be enabled at runtime) nor `cookie` (haproxy 2.6 refuses it there: such pools reload instead).
 */
export function serverArgs(s: ServerSpec, form: 'config' | 'runtime'): string {
  const parts = [`${s.name} ${hostPort(s.address, s.port)}`, `weight ${s.weight}`];
  if (s.check) {
    parts.push(`check inter ${s.check.inter}s fall ${s.check.fall} rise ${s.check.rise}`);
    if (s.check.ssl) parts.push('check-ssl verify none');
    if (s.check.addr !== null) parts.push(`addr ${s.check.addr}`);
    if (s.check.port !== null) parts.push(`port ${s.check.port}`);
  }
  if (s.cookie !== null && form === 'config') parts.push(`cookie ${s.cookie}`);
  if (s.proxy) parts.push(s.proxy);
  if (s.tls) parts.push(s.tls);
  if (s.backup) parts.push('backup');
  if (!s.enabled && form === 'config') parts.push('disabled');
  if (s.id !== null) parts.push(`id ${s.id}`);
  return parts.join(' ');
}

/** The `add server` line for `s` on the admin socket (see serverArgs). */
export const addServerCommand = (s: ServerSpec): string => `add server ${s.backend}/${serverArgs(s, 'runtime')}`;
