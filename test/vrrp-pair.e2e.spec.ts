import { canUseNetns, httpGetFromNetns, netnsRunId, waitForHttp } from '@lbaas/testing';
import { outageAfter, startProber, stopProbers } from './support/hosts';
import { fenceOnce } from '../apps/agent/src/watchdog';
import { heldConnection, startPairLab, watchArp, type PairLab, type PairSide } from './support/vrrp-pair';

const suite = canUseNetns() ? describe : describe.skip;
if (!canUseNetns()) console.warn('SKIPPED LOUDLY: vrrp-pair.e2e.spec.ts needs root (netns, haproxy, keepalived)');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * An ACTIVE_STANDBY pair on two hosts (issue 14), with the agent's keepalived renderer and host runner, real haproxy
 * and keepalived (VRRPv3, unicast, advert 100 ms, nopreempt): one master holds the VIP; host death, haproxy death, a
 * lapsed lease and the fence file each move it to the other side, with traffic through the VIP and ARP watched from a
 * client (never two hosts answering); two masters after a VRRP partition heal into one.
 */
suite('ACTIVE_STANDBY pair: keepalived in two hosts (netns)', () => {
  const run = netnsRunId();
  const net = `10.233.${(parseInt(run, 16) % 200) + 20}`;
  let lab: PairLab;
  let a: PairSide;
  let b: PairSide;
  const url = () => `http://${lab.vip}/`;
  const other = (s: PairSide) => (s === a ? b : a);
  const master = async (): Promise<PairSide> =>
    lab.waitFor('one MASTER and one BACKUP', 5000, () => {
      const ra = lab.role(a);
      const rb = lab.role(b);
      if (ra === 'MASTER' && rb !== 'MASTER') return a;
      if (rb === 'MASTER' && ra !== 'MASTER') return b;
      return null;
    });

  /** The master and the standby, with ARP watched and a GET every 20 ms through the VIP, half a second in. */
  const underTraffic = async () => {
    const m = await master();
    const arp = await watchArp(lab.client, lab.vip, `${net}.99`);
    const prober = startProber(lab.client, url(), 20, 300);
    await sleep(500);
    return { m, s: other(m), arp, prober, t0: Date.now() };
  };

  beforeAll(async () => {
    lab = await startPairLab({ run, net, advertIntMs: 100 });
    [a, b] = lab.sides;
  });
  afterAll(async () => {
    await stopProbers();
    await lab?.stop();
  });

  it('elects one master: it alone holds the VIP and answers through it', async () => {
    await lab.start(a, 'MASTER');
    await lab.start(b, 'BACKUP');
    const m = await master();
    await lab.waitFor('the other side BACKUP', 3000, () => (lab.role(other(m)) === 'BACKUP' ? true : null));
    expect((await lab.holders()).map((s) => s.name)).toEqual([m.name]);
    expect((await httpGetFromNetns(lab.client, url())).body).toBe(`${m.name} ok`);
  });

  it('host death of the master: the standby serves within 2 s, never two hosts answering ARP, and the host rejoins as standby', async () => {
    const { m, s, arp, prober, t0 } = await underTraffic();
    await lab.killHost(m);
    await lab.waitFor('the standby MASTER', 3000, () => (lab.role(s) === 'MASTER' ? true : null));
    await sleep(800);
    const probes = await prober.stop();
    const seen = await arp.stop();
    const outage = outageAfter(probes, t0);
    const took = (lab.transitions(s).find((t) => t.role === 'MASTER' && t.at >= t0)?.at ?? NaN) - t0;
    console.log(`host death: outage ${outage.ms} ms (${outage.failed} failed probes), VRRP takeover ${took} ms, ARP requests ${seen.requests}, replies ${seen.replies} from ${seen.macs.length} MACs, dual ${seen.dual}`);
    expect(outage.ms).toBeLessThanOrEqual(2000);
    expect(seen.dual).toBe(0);
    expect(seen.macs.length).toBe(2); // the old master before, the new one after
    expect(probes.filter((p) => p.ok && p.start > t0 + outage.ms).every((p) => p.body === s.name)).toBe(true);
    // The dead host's namespace still has the address, but nothing of it answers (its ARP replies stopped above).
    expect((await lab.holders()).map((x) => x.name)).toContain(s.name);

    // The host comes back as the new standby (what the scheduler's new placement gives it): the VIP stays where it is.
    await lab.reviveHost(m);
    await lab.start(m, 'BACKUP');
    await lab.waitFor('the returned host BACKUP', 3000, () => (lab.role(m) === 'BACKUP' ? true : null));
    await sleep(500);
    expect(lab.role(s)).toBe('MASTER');
    expect((await lab.holders()).map((x) => x.name)).toEqual([s.name]);
  });

  it('haproxy death on the master: keepalived goes FAULT and the standby takes over', async () => {
    const m = await master();
    const s = other(m);
    const prober = startProber(lab.client, url(), 20, 300);
    await sleep(300);
    const t0 = Date.now();
    await lab.killHaproxy(m);
    await lab.waitFor('the standby MASTER', 3000, () => (lab.role(s) === 'MASTER' ? true : null));
    expect(lab.role(m)).toBe('FAULT');
    await sleep(500);
    const outage = outageAfter(await prober.stop(), t0);
    const fault = (lab.transitions(m).find((t) => t.role === 'FAULT' && t.at >= t0)?.at ?? NaN) - t0;
    const took = (lab.transitions(s).find((t) => t.role === 'MASTER' && t.at >= t0)?.at ?? NaN) - t0;
    console.log(`haproxy death: outage ${outage.ms} ms (${outage.failed} failed probes), FAULT after ${fault} ms, standby MASTER after ${took} ms`);
    expect(outage.ms).toBeLessThanOrEqual(1600); // the check runs every second, then the peer takes over at once
    expect((await lab.holders()).map((x) => x.name)).toEqual([s.name]);
    await lab.start(m, 'MASTER'); // haproxy back: FAULT → BACKUP, no preemption
    await lab.waitFor('the repaired side BACKUP', 4000, () => (lab.role(m) === 'BACKUP' ? true : null));
    expect(lab.role(s)).toBe('MASTER');
  });

  it('a lapsed lease on the master (its agent cut off from NATS): the data plane drops the VIP by itself', async () => {
    const m = await master();
    const s = other(m);
    const t0 = Date.now();
    lab.setLease(m, false);
    await lab.waitFor('the fenced side FAULT', 2500, () => (lab.role(m) === 'FAULT' ? true : null));
    await lab.waitFor('the standby MASTER', 1000, () => (lab.role(s) === 'MASTER' ? true : null));
    console.log(`lease lapse → FAULT in ${Date.now() - t0} ms`);
    expect((await lab.holders()).map((x) => x.name)).toEqual([s.name]);
    expect((await httpGetFromNetns(lab.client, url())).body).toBe(`${s.name} ok`);
    lab.setLease(m, true);
    await lab.waitFor('the side with its lease back BACKUP', 3000, () => (lab.role(m) === 'BACKUP' ? true : null));
    expect(lab.role(s)).toBe('MASTER');
  });

  it('the lease watchdog fences keepalived at once (its fence file), not only at the next check', async () => {
    const m = await master();
    const s = other(m);
    lab.setLease(m, false);
    const t0 = Date.now();
    await fenceOnce(m.stateDir, Date.now()); // one pass of the host's watchdog (apps/agent watchdog.ts)
    await lab.waitFor('the fenced side FAULT', 1000, () => (lab.role(m) === 'FAULT' ? true : null));
    await lab.waitFor('the standby MASTER', 1000, () => (lab.role(s) === 'MASTER' ? true : null));
    const took = Date.now() - t0;
    console.log(`watchdog fence → standby MASTER in ${took} ms`);
    expect(took).toBeLessThan(600);
    expect((await lab.holders()).map((x) => x.name)).toEqual([s.name]);
    lab.setLease(m, true);
    await fenceOnce(m.stateDir, Date.now()); // the lease is back: the watchdog lifts the fence
    await lab.waitFor('the unfenced side BACKUP', 3000, () => (lab.role(m) === 'BACKUP' ? true : null));
    expect(lab.role(s)).toBe('MASTER');
  });

  it('operator failover promotes the standby first: no failed request, never two hosts answering ARP, a connection to the old master goes on there', async () => {
    const { m, s, arp, prober, t0 } = await underTraffic();
    const held = await heldConnection(lab.client, lab.vip); // opened to the master before the swap, used again after it
    expect(held.first).toBe(`${m.name} ok`);
    // 1. the standby steers what it does not know to the master: a connection the client opened to the master just
    // before the gratuitous ARP goes on there, its next packets sent to the new MAC (without this the promoted side
    // answers them with a reset: a CI run had one GET reset 11 ms after it began)
    await lab.steer(s, m);
    await lab.release(m); // 2. the master keeps the VIP (also as a /32) and serves, but answers no ARP for it
    expect(await lab.start(s, 'PROMOTED')).toBe('reloaded'); // 3. the standby preempts: VIP, gratuitous ARP
    await lab.waitFor('the promoted standby MASTER, the old master BACKUP', 3000, () =>
      (lab.role(s) === 'MASTER' && lab.role(m) === 'BACKUP' ? true : null));
    const took = Date.now() - t0;
    // What was sent to the old master before the gratuitous ARP arrived is served there. The old master lets go only once
    // the client follows the promoted side: Linux ignores a new address for a neighbour entry updated less than
    // locktime (1 s) before, so a client that had just refreshed it keeps the old MAC until keepalived's next
    // announcement (the agent's pair hand-over drains at least 3 s after the promoted side served, for the same reason).
    // A CI run that let go after a fixed 300 ms had one request reset.
    const promotedMac = await lab.vipMac(s);
    const followFrom = Date.now();
    await lab.waitFor("the client's neighbour entry for the VIP on the promoted side", 3000, async () => ((await lab.clientNeighbour()) === promotedMac ? true : null));
    const followed = Date.now() - t0;
    console.log(`the client's neighbour entry followed the promoted side ${followed} ms after the swap began (${Date.now() - followFrom} ms after it was MASTER)`);
    // The held connection's next request goes to the promoted side's MAC, which steers it on to the old master (a reset
    // without the steering: the promoted side does not know the connection).
    expect(await held.again()).toBe(`${m.name} ok`);
    await held.close();
    await sleep(100);
    await lab.unhold(m); // 4. the old master lets go of its kept /32 and answers ARP again (for its own address only)
    const steered = await lab.steered(s);
    await lab.unsteer(s);
    expect(await lab.start(m, 'BACKUP')).not.toBe('started'); // 5. the roles as they are now, nopreempt again
    expect(await lab.start(s, 'MASTER')).toBe('reloaded');
    await sleep(800);
    const probes = await prober.stop();
    const seen = await arp.stop();
    const failed = probes.filter((p) => !p.ok);
    console.log(`operator failover (promote first): ${took} ms to swap, ${failed.length} failed of ${probes.length} probes, ARP ${seen.replies}/${seen.requests} answered from ${seen.macs.length} MACs, dual ${seen.dual}, ${steered} packets steered to the old master`);
    expect(failed).toEqual([]);
    expect(steered).toBeGreaterThan(0); // at least the held connection's second request
    expect(seen.dual).toBe(0);
    expect((await lab.holders()).map((x) => x.name)).toEqual([s.name]);
    expect(probes.at(-1)?.body).toBe(s.name);
    expect([lab.role(s), lab.role(m)]).toEqual(['MASTER', 'BACKUP']);
  });

  it('two masters after a VRRP partition resolve to one when it heals', async () => {
    await master();
    await lab.partitionVrrp(true);
    await lab.waitFor('both MASTER while cut off', 3000, () => (lab.role(a) === 'MASTER' && lab.role(b) === 'MASTER' ? true : null));
    expect((await lab.holders()).length).toBe(2); // what a VRRP partition means: each side believes it is alone
    const t0 = Date.now();
    await lab.partitionVrrp(false);
    const m = await master();
    await lab.waitFor('one holder', 2000, async () => ((await lab.holders()).length === 1 ? true : null));
    console.log(`partition healed → one master (${m.name}) in ${Date.now() - t0} ms`);
    expect((await lab.holders()).map((x) => x.name)).toEqual([m.name]);
    const arp = await watchArp(lab.client, lab.vip, `${net}.99`);
    await sleep(400);
    const seen = await arp.stop();
    expect(seen.dual).toBe(0);
    expect(seen.macs.length).toBe(1);
    // Traffic flows again through the one master: a client whose neighbour entry still names the side that gave up
    // follows the re-announcement (one GET of 2 s once timed out right after the heal; a run here took 8.2 s: a known gap, see docs/failover.md).
    const served = await waitForHttp(lab.client, url(), (r) => r.body === `${m.name} ok`, 20_000);
    console.log(`after the heal, ${m.name} served through the VIP after ${served.ms} ms`);
  });
});
