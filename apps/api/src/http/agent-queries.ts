import type { AgentQuery } from '@lbaas/contracts';

/** Injection token of the adapter that asks one agent a request/reply question (core NATS, `subjects.agentQuery`). */
export const AGENT_QUERIES = Symbol('AGENT_QUERIES');

/** Asks agent `agentId` the query and resolves with its answer; rejects on timeout or when nobody answers. */
export type AgentQueries = (agentId: string, query: AgentQuery, payload: Record<string, unknown>, timeoutMs: number) => Promise<unknown>;

/** For apps and tests without NATS request/reply: every question goes unanswered. */
export const noAgentQueries: AgentQueries = async (agentId) => {
  throw new Error(`no agent query transport (asked ${agentId})`);
};
