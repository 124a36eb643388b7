import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { CONFIG, LOGGER } from '@lbaas/app-shell';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ApiConfig } from '../config';
import { ApiError } from './errors';
import { authorize, isRule, POLICY_FORBIDDEN, type RuleName } from './policy';
import { callerIdentity, grant } from './project-scope';

/** Metadata key of a handler's policy rule. */
export const POLICY_RULE = 'lbaas:policy-rule';

/** Names the rule of http/policy.ts that guards a route handler (every handler names one; a test checks). */
export const Policy = (rule: RuleName): MethodDecorator => SetMetadata(POLICY_RULE, rule);

/** The rule a handler names, if any. */
export const ruleOf = (reflector: Reflector, handler: object): unknown => reflector.get(POLICY_RULE, handler as () => void);

/**
 * The one point where policy is enforced, before every handler: the route's rule, evaluated for the authenticated
 * caller, either grants an access (every project, or the caller's) or is Octavia's 403. A handler without a rule is
 * refused (fail closed) and logged as the bug it is.
 */
@Injectable()
export class PolicyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(CONFIG) private readonly config: ApiConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    const rule = ruleOf(this.reflector, ctx.getHandler());
    const req = ctx.switchToHttp().getRequest<FastifyRequest & { policyRule?: string; refusal?: string }>();
    if (!isRule(rule)) {
      this.logger.error({ op: 'policy', handler: `${ctx.getClass().name}.${ctx.getHandler().name}`, rule }, 'route without a policy rule: refused');
      throw new ApiError(403, POLICY_FORBIDDEN);
    }
    req.policyRule = rule;
    const decision = authorize(rule, callerIdentity(), this.config.policyMode);
    if (decision.kind === 'refused') {
      req.refusal = decision.reason;
      throw new ApiError(403, POLICY_FORBIDDEN);
    }
    grant(decision);
    return true;
  }
}
