import { createBridge, createNetnsOnBridge, removeLinks, removeNetns, startHttpServer, type NetnsProcess } from '@lbaas/testing';

/**
 * The network the agent's integration tests put a load balancer on: a bridge, backends web1..web3 at `<net>.11-13`
 * (HTTP :8080, answering their name) and a client at `<net>.2`, each in its own namespace named `<prefix><w1|w2|w3|cl>`.
 */
export type Backends = {
  bridge: string; web: [string, string, string]; client: string; servers: NetnsProcess[];
  /** Stops the servers and removes the namespaces and links (and `extraLinks`, e.g. the LB's host veth). */
  stop(...extraLinks: string[]): Promise<void>;
};

export async function startBackends(prefix: string, bridge: string, net: string): Promise<Backends> {
  const [w1, w2, w3, client] = ['w1', 'w2', 'w3', 'cl'].map((n) => `${prefix}${n}`);
  await createBridge(bridge);
  for (const [ns, host] of [[w1, 11], [w2, 12], [w3, 13], [client, 2]] as const) {
    await createNetnsOnBridge({ netns: ns, bridge, hostIf: `${ns}h`, cidr: `${net}.${host}/24` });
  }
  const servers = [await startHttpServer(w1, 'web1', 8080), await startHttpServer(w2, 'web2', 8080), await startHttpServer(w3, 'web3', 8080)];
  return {
    bridge, web: [w1, w2, w3], client, servers,
    async stop(...extraLinks) {
      for (const s of servers) await s.stop();
      await removeNetns(w1, w2, w3, client);
      await removeLinks(`${w1}h`, `${w2}h`, `${w3}h`, `${client}h`, ...extraLinks, bridge);
    },
  };
}
