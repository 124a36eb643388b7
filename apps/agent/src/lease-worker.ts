import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { connectNats, createLogger, type NatsConfig } from '@lbaas/app-shell';
import type { NatsConnection } from 'nats';
import { monotonicMs, raise, slot, SLOT, writeLease } from './fencing';
import { LEASE_BOOST, SERVING_NICE, setThreadNice } from './host/exec';
import { KernelFence } from './host/kernel-fence';

/**
 * The lease keeper (issue 11, "busy is not dead"): a worker thread of the agent process with its own event loop and its
 * own NATS connection. It sends the heartbeats and renews the lease file, so reconcile work and event-loop stalls of
 * the agent's main thread cannot starve either. It stays safe because it lives and dies with the agent process:
 *   - the agent process dies → the thread dies with it → no renewal: the watchdog withdraws the VIPs after LEASE_MS,
 *     the failover-watcher hears no heartbeat and moves the LBs (as before);
 *   - the host is cut off from NATS → the thread's own round trip fails → no renewal, no heartbeat (as before);
 *   - the main thread is wedged (its event loop did not turn for LEASE_STALL_LIMIT_MS), or its own NATS connection has
 *     been down that long → the thread stops renewing and heartbeating too, so a stuck agent is fenced and failed
 *     over after LEASE_STALL_LIMIT_MS + LEASE_MS instead of holding its VIPs forever.
 * While the main thread is fenced (lease lapsed, catching up) the thread does not renew: only the main thread's
 * resume renews, after it caught up with the stream (fencing.ts).
 *
 * Each renewal renews the kernel fence's lease element first (host/kernel-fence.ts: one nft transaction, the same
 * whatever the number of load balancers) and the lease file only if the kernel renewed it: an element that already
 * expired is never brought back from here (that is the main thread's grant after a lapse).
 *
 * Shared with the main thread: the BigInt64 slots of fencing.ts SLOT (monotonic ms), written with Atomics.
 */
export type LeaseWorkerData = Readonly<{
  nats: NatsConfig;
  agentId: string;
  heartbeatSubject: string;
  stateDir: string;
  leaseMs: number;
  reportIntervalMs: number;
  stallLimitMs: number;
  logLevel: string;
  shared: SharedArrayBuffer;
  /** The agent id of the kernel fence to renew (null: no kernel fence, KERNEL_FENCE=false). */
  kernelFence: string | null;
}>;

/**
 * Pure: may the keeper renew at `nowMs`? Only while the main thread's event loop turned within the stall limit and its
 * own connection has not been down that long (`disconnectedSinceMs` 0: up).
 */
export const mainAlive = (nowMs: number, mainTurnMs: number, stallLimitMs: number, disconnectedSinceMs = 0): boolean =>
  nowMs - mainTurnMs <= stallLimitMs && (disconnectedSinceMs === 0 || nowMs - disconnectedSinceMs <= stallLimitMs);

async function keep(d: LeaseWorkerData): Promise<void> {
  const shared = new BigInt64Array(d.shared);
  const logger = createLogger('agent', { agent_id: d.agentId, thread: 'lease' }, d.logLevel);
  let appliedVersions: Record<string, number> = {};
  parentPort?.on('message', (m: { appliedVersions?: Record<string, number> }) => { if (m.appliedVersions) appliedVersions = m.appliedVersions; });
  // Above the agent's own work and builds (host/exec.ts): a renewal must not wait for them on a loaded host.
  try {
    logger.info({ op: 'lease.priority', nice: setThreadNice(SERVING_NICE - LEASE_BOOST) }, 'lease keeper thread above the agent');
  } catch (err) {
    logger.warn({ op: 'lease.priority', err }, 'lease keeper thread stays at the agent\'s priority');
  }
  // A loaded host may take longer than the usual 5 s to connect (the nkey handshake is CPU): keep trying; until the
  // first round trip here the main thread heartbeats and renews itself (fencing.ts).
  let nc: NatsConnection | null = null;
  while (nc === null) {
    nc = await connectNats({ nats: d.nats, name: `agent:${d.agentId}:lease`, logger, timeoutMs: 30_000 }).catch((err: unknown) => {
      logger.warn({ op: 'lease.connect', err }, 'lease keeper cannot connect to NATS yet; trying again');
      return null;
    });
    if (nc === null) await new Promise((r) => setTimeout(r, d.reportIntervalMs));
  }
  const fence = d.kernelFence ? new KernelFence(d.kernelFence) : null;
  let kernelRefused = false;
  let stalled = false;
  for (;;) {
    const sentAt = monotonicMs();
    const mainContact = slot(shared, SLOT.mainContact);
    const disconnectedSince = slot(shared, SLOT.mainDisconnectedSince);
    if (!mainAlive(sentAt, mainContact, d.stallLimitMs, disconnectedSince)) {
      if (!stalled) {
        logger.error({
          op: 'lease.stalled', main_turn_age_ms: sentAt - mainContact, main_disconnected_ms: disconnectedSince ? sentAt - disconnectedSince : 0, stall_limit_ms: d.stallLimitMs,
        }, 'the agent\'s main thread is stuck or cut off beyond the stall limit: no more heartbeats or lease renewals (it is fenced and failed over)');
      }
      stalled = true;
    } else {
      if (stalled) logger.warn({ op: 'lease.stalled', main_turn_age_ms: sentAt - mainContact }, 'the agent makes progress again: heartbeats resume');
      stalled = false;
      try {
        nc.publish(d.heartbeatSubject, JSON.stringify({ agentId: d.agentId, at: new Date().toISOString(), appliedVersions }));
        // No deadline: a late answer on a loaded host still proves contact at `sentAt`; one that comes after the lease
        // would have run out renews nothing (a partition: the flush waits for the reconnect).
        await nc.flush();
        raise(shared, SLOT.workerContact, sentAt);
        if (slot(shared, SLOT.fenced) === 0 && monotonicMs() < sentAt + d.leaseMs) {
          // The kernel's element first, to the same deadline; refused (gone): no renewal here, the main thread fences.
          const renewed = fence === null || await fence.renew(sentAt + d.leaseMs - monotonicMs()).catch((err: unknown) => {
            logger.warn({ op: 'fence.kernel', err }, 'nft failed renewing the kernel fence; trying again at the next round trip');
            return null;
          });
          if (renewed === true) {
            writeLease(d.stateDir, { agentId: d.agentId, until: Date.now() + (sentAt + d.leaseMs - monotonicMs()), untilMono: sentAt + d.leaseMs, renewedBy: process.pid });
            raise(shared, SLOT.leaseRenewed, sentAt);
          } else if (renewed === false && !kernelRefused && slot(shared, SLOT.fenced) === 0) {
            logger.error({ op: 'fence.kernel' }, 'the kernel fence refused the renewal (its lease element is gone): not renewing');
          }
          kernelRefused = renewed === false;
        }
      } catch (err) {
        logger.warn({ op: 'heartbeat', err }, 'heartbeat failed');
      }
    }
    await new Promise((r) => setTimeout(r, Math.max(10, sentAt + d.reportIntervalMs - monotonicMs())));
  }
}

if (!isMainThread && (workerData as LeaseWorkerData | undefined)?.shared) {
  void keep(workerData as LeaseWorkerData).catch((err: unknown) => {
    // The main thread sees the exit and starts a new keeper; until then nothing renews (safe side).
    process.stderr.write(`${JSON.stringify({ level: 50, op: 'lease.worker', err: String(err) })}\n`);
    process.exit(1);
  });
}
