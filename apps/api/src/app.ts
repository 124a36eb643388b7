import { randomUUID } from 'node:crypto';
import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { CLOCK, CONFIG, EVENT_STORE, LOGGER, NestPinoLogger, PROJECTION, SECRET_STORE, type Clock } from '@lbaas/app-shell';
import type { EventStore } from '@lbaas/event-store';
import type { SecretStore } from '@lbaas/secret-store';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ApiConfig } from './config';
import { createAuthenticator } from './auth/auth-config';
import type { Authenticator } from './auth/identity';
import type { HealthProbe } from './health/health';
import { HEALTH, HealthcheckController } from './health/healthcheck.controller';
import { authenticationHook, type Authenticated } from './http/authentication';
import { PolicyGuard } from './http/policy-guard';
import { ProjectGate } from './http/project-gate';
import { RequestBudget } from './http/request-budget';
import { AgentsController } from './agents/agents.controller';
import { AmphoraeController } from './amphorae/amphorae.controller';
import { AvailabilityZoneProfilesController } from './availabilityzoneprofiles/availabilityzoneprofiles.controller';
import { AvailabilityZonesController } from './availabilityzones/availabilityzones.controller';
import { ContainersController } from './containers/containers.controller';
import { FlavorProfilesController } from './flavorprofiles/flavorprofiles.controller';
import { FlavorsController } from './flavors/flavors.controller';
import { HealthMonitorsController } from './healthmonitors/healthmonitors.controller';
import { HistoryController } from './history/history.controller';
import { AGENT_QUERIES, noAgentQueries, type AgentQueries } from './http/agent-queries';
import { installCatchUp } from './http/catch-up';
import { ApiExceptionFilter } from './http/error-filter';
import { Lookup, SECRET_WRITES, secretWrites, type ReadModel } from './http/lookup';
import { noteBaseUrl } from './http/request-context';
import { Writes } from './http/writes';
import { L7PoliciesController } from './l7policies/l7policies.controller';
import { L7RulesController } from './l7rules/l7rules.controller';
import { ListenersController } from './listeners/listeners.controller';
import { CreateLoadBalancerSaga } from './loadbalancers/create-load-balancer.saga';
import { LoadBalancersController } from './loadbalancers/loadbalancers.controller';
import { MembersController } from './members/members.controller';
import { NetworksController } from './networks/networks.controller';
import { PoolsController } from './pools/pools.controller';
import { installHttpMetrics, type ApiMetrics } from './metrics';
import { PortsController } from './ports/ports.controller';
import { ProjectsController } from './projects/projects.controller';
import { QuotaCheck } from './quotas/quota';
import { QuotasController } from './quotas/quotas.controller';
import { SecretsController } from './secrets/secrets.controller';
import { SubnetsController } from './subnets/subnets.controller';
import { ProvidersController, VersionsController } from './versions/versions.controller';

/** What the api is built from: adapters only (main.ts wires real ones; tests may wire the in-memory store). */
export type ApiDeps = Readonly<{
  config: ApiConfig; store: EventStore; view: ReadModel; clock: Clock; logger: Logger;
  /** Request/reply to agents (stats); absent in tests without agents: every question goes unanswered. */
  agentQueries?: AgentQueries;
  secrets?: SecretStore | null;
  /** Whether the api is connected and caught up (/healthcheck); main.ts asks the event stream. */
  health: HealthProbe;
  /** Who the callers are; absent = the one config.auth describes (built here, once). */
  authenticator?: Authenticator;
  /** HTTP metrics (main.ts; absent in tests of the HTTP surface). */
  metrics?: ApiMetrics;
}>;

/**
 * The adapters, and the only ways to them: the view, the event store and the secret store are provided here but not
 * exported, so controllers reach objects only through the scoped Lookup and write only through Writes.
 */
@Global()
@Module({})
class CoreModule {
  static with(deps: ApiDeps): DynamicModule {
    const secrets = deps.secrets ?? null;
    return {
      module: CoreModule,
      providers: [
        { provide: CONFIG, useValue: deps.config },
        { provide: EVENT_STORE, useValue: deps.store },
        { provide: PROJECTION, useValue: deps.view },
        { provide: CLOCK, useValue: deps.clock },
        { provide: LOGGER, useValue: deps.logger },
        { provide: AGENT_QUERIES, useValue: deps.agentQueries ?? noAgentQueries },
        { provide: SECRET_STORE, useValue: secrets },
        { provide: SECRET_WRITES, useValue: secretWrites(secrets) },
        { provide: HEALTH, useValue: deps.health },
        Lookup, Writes, QuotaCheck,
      ],
      exports: [CONFIG, LOGGER, AGENT_QUERIES, SECRET_WRITES, HEALTH, Lookup, Writes, QuotaCheck],
    };
  }
}

/** One module: every resource is a controller (no per-resource Nest modules: nothing else would be in them). */
@Module({})
class ApiModule {
  static with(deps: ApiDeps): DynamicModule {
    return {
      module: ApiModule,
      imports: [CoreModule.with(deps)],
      // The one policy guard, before every handler (http/policy.ts is its table).
      providers: [CreateLoadBalancerSaga, { provide: APP_GUARD, useClass: PolicyGuard }],
      controllers: [
        VersionsController, HealthcheckController, ProvidersController, LoadBalancersController, ListenersController, PoolsController, MembersController,
        HealthMonitorsController, L7PoliciesController, L7RulesController, NetworksController, SubnetsController, PortsController,
        AgentsController, QuotasController, ProjectsController, SecretsController, ContainersController, HistoryController,
        FlavorsController, FlavorProfilesController, AvailabilityZonesController, AvailabilityZoneProfilesController, AmphoraeController,
      ],
    };
  }
}

type Timed = Authenticated & { startedAt?: bigint; lbId?: string; policyRule?: string; refusal?: string };

/**
 * Request ids, authentication (the one point: every request but the open paths, then the project's request budget),
 * one JSON log line per request (who, which rule, why refused), and a JSON body parser whose errors become Octavia's 400.
 */
function installHttpEdge(fastify: FastifyInstance, deps: ApiDeps): void {
  const authenticator = deps.authenticator ?? createAuthenticator(deps.config.auth, { logger: deps.logger.child({ context: 'auth' }) });
  const budget = deps.config.requestBudget ? new RequestBudget(deps.config.requestBudget) : null;
  const gate = deps.config.projectConcurrency > 0 ? new ProjectGate({ perProject: deps.config.projectConcurrency, minShare: deps.config.projectMinShare }) : null;
  const authenticate = authenticationHook(authenticator, budget, Date.now, gate);
  fastify.addHook('onRequest', (req: Timed, reply, done) => {
    req.startedAt = process.hrtime.bigint();
    void reply.header('x-openstack-request-id', req.id);
    noteBaseUrl(req, deps.config);
    authenticate(req, reply, done);
  });
  fastify.addHook('onResponse', (req: Timed, reply, done) => {
    req.releaseSlot?.();
    const ms = req.startedAt ? Number(process.hrtime.bigint() - req.startedAt) / 1e6 : undefined;
    const lbId = req.lbId ?? /\/loadbalancers\/([0-9a-f-]{36})/i.exec(req.url)?.[1];
    const who = req.identity ? { user: req.identity.userId, project: req.identity.projectId } : {};
    deps.logger.info({
      op: 'http', requestId: req.id, method: req.method, path: req.url.split('?')[0], status: reply.statusCode, ms, client: req.ip, ...who,
      ...(req.policyRule ? { rule: req.policyRule } : {}), ...(req.authReason || req.refusal ? { reason: req.authReason ?? req.refusal } : {}),
      ...(lbId ? { lbId } : {}),
    }, 'request');
    done();
  });
  // JSON only, like Octavia: anything else (Fastify also parses text/plain by default) is a 415.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: deps.config.bodyLimit }, (_req, body, done) => {
    const text = String(body);
    // DELETE and GET with a JSON content type and no body are fine (some clients always send the header).
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(Object.assign(new Error('Request is not in valid JSON format'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 }), undefined);
    }
  });
}

/** Builds the Nest application (Fastify underneath), ready to `listen()` or to `inject()` in tests. */
export async function createApiApp(deps: ApiDeps): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    logger: false,
    bodyLimit: deps.config.bodyLimit,
    genReqId: () => `req-${randomUUID()}`,
    // X-Forwarded-For (and -Proto, -Host) only from these proxies; everyone else's address is the socket's.
    trustProxy: deps.config.trustedProxies.length ? [...deps.config.trustedProxies] : false,
    routerOptions: { ignoreTrailingSlash: true },
  });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.with(deps), adapter, {
    bodyParser: false,
    logger: new NestPinoLogger(deps.logger.child({ context: 'nest' })),
    abortOnError: false,
  });
  installHttpEdge(app.getHttpAdapter().getInstance(), deps);
  if (deps.metrics) installHttpMetrics(app.getHttpAdapter().getInstance(), deps.metrics);
  if (deps.view.catchUp) installCatchUp(app.getHttpAdapter().getInstance(), deps.view.catchUp, deps.metrics);
  app.useGlobalFilters(new ApiExceptionFilter(deps.logger));
  await app.init();
  return app;
}
