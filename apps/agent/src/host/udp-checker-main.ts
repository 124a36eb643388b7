import { UdpChecker } from './udp-checker';

// The UDP health checker's process (see udp-checker.ts), started by the agent inside an LB's namespace:
// `nsenter --net=/run/netns/qlbaas-<lb> node udp-checker-main.js <run dir of the LB>`. One JSON line per event on stderr.
const dir = process.argv[2];
if (!dir || !dir.startsWith('/')) {
  process.stderr.write('usage: udp-checker-main.js <absolute run dir of the LB>\n');
  process.exit(2);
}
const log = (msg: string, fields: Record<string, unknown> = {}) =>
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), op: 'udp-health', dir, msg, ...fields })}\n`);
const checker = new UdpChecker(dir, log);
checker.start();
// Pools without a monitor leave no timer: the process stays anyway (its status file reports their members; the agent
// takes a gone checker for a broken UDP part and rebuilds it).
setInterval(() => undefined, 1 << 30);
process.on('SIGHUP', () => checker.reload());
process.on('SIGTERM', () => void checker.stop().then(() => process.exit(0)));
