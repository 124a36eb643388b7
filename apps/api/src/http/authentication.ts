import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthError, type Authenticator, type Identity } from '../auth/identity';
import { OPEN_PATHS } from './policy';
import { runAsCaller } from './project-scope';
import type { ProjectGate } from './project-gate';
import type { RequestBudget } from './request-budget';

/** What the log line of a request says about its caller (http/app.ts writes it); `releaseSlot` ends its gate slot. */
export type Authenticated = FastifyRequest & { identity?: Identity; authReason?: string; releaseSlot?: () => void };

/** The API's own error body (Octavia's WSME fault), for answers the edge gives before any handler runs. */
const fault = (status: number, message: string) => ({ faultcode: status >= 500 ? 'Server' : 'Client', faultstring: message, debuginfo: null });

const isOpen = (req: FastifyRequest): boolean => OPEN_PATHS.includes(req.routeOptions?.url ?? '\0');

/**
 * The one point where callers are authenticated (the onRequest hook): the configured authenticator (noauth, keystone,
 * jwt) turns the headers into an Identity, or the request ends here with its 400/401/503 in the API's error body and
 * the authenticator's headers (WWW-Authenticate, Retry-After). Then the caller's project spends one request of its
 * budget (429 with Retry-After when it is spent), and waits for one of its project's slots (`gate`, released when the
 * response is done: the edge's onResponse). The version document and /healthcheck need none of it.
 */
export function authenticationHook(authenticator: Authenticator, budget: RequestBudget | null, nowMs: () => number = Date.now, gate: ProjectGate | null = null) {
  return (req: Authenticated, reply: FastifyReply, done: (err?: Error) => void): void => {
    if (isOpen(req)) return runAsCaller(null, done);
    authenticator.authenticate(req.headers).then((r) => {
      if (r instanceof AuthError) {
        req.authReason = r.reason;
        void reply.code(r.status).headers(r.headers).header('content-type', 'application/json').send(fault(r.status, r.message));
        return;
      }
      req.identity = r;
      if (budget) {
        const taken = budget.take(r.projectId ?? `user:${r.userId ?? 'anonymous'}`, nowMs());
        if (!taken.ok) {
          req.authReason = 'request budget of the project spent';
          void reply.code(429).header('retry-after', String(taken.retryAfterS)).header('content-type', 'application/json')
            .send(fault(429, `Too many requests for project ${r.projectId ?? '(none)'}; retry after ${taken.retryAfterS} s.`));
          return;
        }
      }
      if (!gate) return runAsCaller(r, done);
      const entered = gate.enter(r.projectId ?? `user:${r.userId ?? 'anonymous'}`);
      if (entered === 'full') {
        req.authReason = 'too many requests of the project waiting';
        void reply.code(503).header('retry-after', '2').header('content-type', 'application/json')
          .send(fault(503, `Too many requests of project ${r.projectId ?? '(none)'} are waiting; retry the request.`));
        return;
      }
      void entered.then((release) => {
        req.releaseSlot = release;
        reply.raw.once('close', release); // a client gone before the answer gives its slot back too
        runAsCaller(r, done);
      });
    }, (err: unknown) => done(err instanceof Error ? err : new Error(String(err))));
  };
}
