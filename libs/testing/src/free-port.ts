import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Ports this process handed out already: never twice (a cluster's nine ports must differ). */
const handedOut = new Set<number>();

/**
 * The lowest port of the kernel's ephemeral range (outgoing connections take their source ports there). freePort
 * picks below it: a port the OS picks with `listen(0)` comes from that range, and any connection opened between the
 * pick and the real bind could take it (a CI run lost a 3-node cluster start to "address already in use").
 */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 12_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const bindable = (port: number): Promise<boolean> => new Promise((resolve) => {
  const server = createServer();
  server.unref();
  server.once('error', () => resolve(false));
  server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
});

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, never one this process handed out before, and outside the
 * ephemeral range (so no outgoing connection takes it before you bind; another process that picks ports itself still
 * could, so prefer letting the server choose, as `startNatsServer()` does).
 */
export async function freePort(): Promise<number> {
  const low = 10_000;
  const high = ephemeralLow() - 1;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (handedOut.has(port) || !(await bindable(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port in ${low}-${high} after 200 tries`);
}
