import {
  renderFenceGrant, renderFencePort, renderFenceRemoval, renderFenceRenewal, renderFenceRevoke, renderFenceTable,
} from '@lbaas/nft-config';
import { HostCommandFailed, run } from './exec';

/**
 * The agent's side of the kernel fence (libs/nft-config fence.ts): one `bridge` table in this host's network namespace
 * whose lease element expires on its own when nobody renews it. Used by the lease keeper thread (renew), the main
 * thread's fencing (ensure, grant, revoke) and the host (ports of new and destroyed namespaces). Each call is one nft
 * process and one kernel transaction.
 */
export class KernelFence {
  constructor(readonly agentId: string) {}

  private nft(text: string): Promise<string> {
    return run('nft', ['-f', '-'], { input: text, timeoutMs: 5_000 });
  }

  /** Creates the table if missing, sets its ports to `ports` (the host-side veths of every LB this agent records); the lease stays as it is. */
  async ensure(ports: readonly string[]): Promise<void> {
    await this.nft(renderFenceTable(this.agentId, ports));
  }

  /**
   * Renews the lease to expire `timeoutMs` from now, only if it has not expired (or been revoked): true when renewed,
   * false when the kernel says it is gone (or the table is: nothing to renew). Other failures throw.
   */
  async renew(timeoutMs: number): Promise<boolean> {
    try {
      await this.nft(renderFenceRenewal(this.agentId, Math.max(1, Math.round(timeoutMs))));
      return true;
    } catch (err) {
      if (err instanceof HostCommandFailed && /No such file or directory/.test(err.stderr)) return false;
      throw err;
    }
  }

  /** Grants the lease (the agent caught up after a lapse): the table is ensured first, with `ports`. */
  async grant(timeoutMs: number, ports: readonly string[]): Promise<void> {
    await this.nft(`${renderFenceTable(this.agentId, ports)}${renderFenceGrant(this.agentId, Math.max(1, Math.round(timeoutMs)))}`);
  }

  /** Revokes the lease now (idempotent; nothing to do when the table is missing). */
  async revoke(): Promise<void> {
    await this.nft(renderFenceRevoke(this.agentId)).catch(ignoreMissing);
  }

  /** The nft text that adds a port (for a helper process that plumbs a new LB in one go: linux-host.ts). */
  portRule(port: string): string {
    return renderFencePort(this.agentId, 'add', port);
  }

  async addPort(port: string): Promise<void> {
    await this.nft(renderFencePort(this.agentId, 'add', port));
  }

  /** Forgets a destroyed namespace's port (idempotent). */
  async removePort(port: string): Promise<void> {
    await this.nft(renderFencePort(this.agentId, 'delete', port)).catch(ignoreMissing);
  }

  /** Removes the table (agent --cleanup; idempotent). */
  async remove(): Promise<void> {
    await this.nft(renderFenceRemoval(this.agentId)).catch(ignoreMissing);
  }
}

function ignoreMissing(err: unknown): void {
  if (!(err instanceof HostCommandFailed && /No such file or directory/.test(err.stderr))) throw err;
}
