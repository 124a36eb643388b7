import { Controller, Inject, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { subjects } from '@lbaas/contracts';
import { AgentRuntime } from './agent-runtime';

type Query = { lbId?: string } | undefined;

/**
 * Request/reply queries to this agent (`lbaas.rpc.agent.<agentId>.stats|digest|reconcile`). The subjects embed the agent id,
 * which is known only at start, so the controller class is made per agent id.
 */
export function queriesController(agentId: string): Type<unknown> {
  @Controller()
  class AgentQueriesController {
    constructor(@Inject(AgentRuntime) private readonly runtime: AgentRuntime) {}

    @MessagePattern(subjects.agentQuery(agentId, 'stats'))
    stats(@Payload() q: Query) {
      return this.runtime.stats(q?.lbId);
    }

    @MessagePattern(subjects.agentQuery(agentId, 'reconcile'))
    reconcile(@Payload() q: Query) {
      return this.runtime.reconcileNow(q?.lbId);
    }

    @MessagePattern(subjects.agentQuery(agentId, 'digest'))
    digest(@Payload() q: Query) {
      return this.runtime.drillReport(q?.lbId);
    }
  }
  return AgentQueriesController;
}
