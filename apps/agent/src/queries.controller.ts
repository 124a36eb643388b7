import { Controller, Inject, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { Logger } from 'pino';
import { LOGGER, MalformedMessage } from '@lbaas/app-shell';
import { subjects } from '@lbaas/contracts';
import { AgentRuntime } from './agent-runtime';
import { InvalidValue, parse } from './parse';

/** A query's payload from the bus: nothing, `{}`, or `{ lbId }` with a load-balancer id; anything else is refused. */
function lbIdOf(q: unknown): { lbId?: string } | { refused: string } {
  if (q instanceof MalformedMessage) return { refused: `the query is ${q.reason}` };
  if (q === undefined || q === null || q === '') return {};
  if (typeof q !== 'object' || Array.isArray(q)) return { refused: 'the query must be an object' };
  const raw = (q as { lbId?: unknown }).lbId;
  if (raw === undefined || raw === null) return {};
  try {
    return { lbId: parse.lbId(raw) };
  } catch (err) {
    return { refused: err instanceof InvalidValue ? err.message : 'bad lbId' };
  }
}

/**
 * Request/reply queries to this agent (`lbaas.rpc.agent.<agentId>.stats|digest|reconcile`). The subjects embed the agent id,
 * which is known only at start, so the controller class is made per agent id. A malformed query gets `{ error }` and
 * a log line; it never reaches the host.
 */
export function queriesController(agentId: string): Type<unknown> {
  @Controller()
  class AgentQueriesController {
    constructor(@Inject(AgentRuntime) private readonly runtime: AgentRuntime, @Inject(LOGGER) private readonly logger: Logger) {}

    private refuse(query: string, why: string) {
      this.logger.warn({ op: 'query.refused', query, reason: why }, 'malformed query refused');
      return { error: why };
    }

    @MessagePattern(subjects.agentQuery(agentId, 'stats'))
    stats(@Payload() q: unknown) {
      const p = lbIdOf(q);
      return 'refused' in p ? this.refuse('stats', p.refused) : this.runtime.stats(p.lbId);
    }

    @MessagePattern(subjects.agentQuery(agentId, 'reconcile'))
    reconcile(@Payload() q: unknown) {
      const p = lbIdOf(q);
      return 'refused' in p ? this.refuse('reconcile', p.refused) : this.runtime.reconcileNow(p.lbId);
    }

    @MessagePattern(subjects.agentQuery(agentId, 'digest'))
    digest(@Payload() q: unknown) {
      const p = lbIdOf(q);
      return 'refused' in p ? this.refuse('digest', p.refused) : this.runtime.drillReport(p.lbId);
    }
  }
  return AgentQueriesController;
}
