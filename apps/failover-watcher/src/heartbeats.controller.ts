import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload, type NatsContext } from '@nestjs/microservices';
import type { Logger } from 'pino';
import { LOGGER } from '@lbaas/app-shell';
import { isAgentId, parseHeartbeatSubject, subjects } from '@lbaas/contracts';
import { FailoverLoop } from './failover.loop';

/** Agents' heartbeats (core NATS). Malformed ones are logged and dropped; unknown agents are ignored by the workflow. */
@Controller()
export class HeartbeatsController {
  constructor(private readonly loop: FailoverLoop, @Inject(LOGGER) private readonly logger: Logger) {}

  @EventPattern(subjects.allHeartbeats)
  onHeartbeat(@Payload() payload: unknown, @Ctx() ctx: NatsContext): void {
    const fromSubject = parseHeartbeatSubject(ctx.getSubject());
    const agentId = typeof payload === 'object' && payload !== null ? (payload as { agentId?: unknown }).agentId : undefined;
    if (!fromSubject || !isAgentId(agentId) || agentId !== fromSubject) {
      this.logger.warn({ op: 'heartbeat.rejected', subject: ctx.getSubject(), agent_id: String(agentId).slice(0, 64) }, 'malformed heartbeat dropped');
      return;
    }
    this.loop.heartbeat(agentId);
  }
}
