import { randomUUID } from 'node:crypto';
import { Global, Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { CLOCK, CONFIG, EVENT_STORE, LOGGER, NestPinoLogger, PROJECTION, SECRET_STORE, type Clock } from '@lbaas/app-shell';
import type { EventStore } from '@lbaas/event-store';
import type { SecretStore } from '@lbaas/secret-store';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ApiConfig } from './config';
import { ApiExceptionFilter } from './shell/error-filter';
import type { ReadModel } from './shell/read-model';
import { Writes } from './shell/writes';
import { runInProjectScope } from './shell/project-scope';
import { AGENT_QUERIES, noAgentQueries, type AgentQueries } from './shell/agent-queries';
import { VersionsModule } from './versions/versions.module';
import { LoadBalancersModule } from './loadbalancers/loadbalancers.module';
import { ListenersModule } from './listeners/listeners.module';
import { PoolsModule } from './pools/pools.module';
import { MembersModule } from './members/members.module';
import { HealthMonitorsModule } from './healthmonitors/healthmonitors.module';
import { NetworksModule } from './networks/networks.module';
import { AgentsModule } from './agents/agents.module';
import { L7PoliciesModule } from './l7policies/l7policies.module';
import { QuotasModule } from './quotas/quotas.module';
import { ProjectsModule } from './projects/projects.module';
import { SecretsModule } from './secrets/secrets.module';
import { HistoryModule } from './history/history.module';
import { OperatorModule } from './operator/operator.module';

/** What the api is built from: adapters only (main.ts wires real ones; tests may wire the in-memory store). */
export type ApiDeps = Readonly<{
  config: ApiConfig; store: EventStore; view: ReadModel; clock: Clock; logger: Logger;
  /** Request/reply to agents (stats); absent in tests without agents: every question goes unanswered. */
  agentQueries?: AgentQueries;
  secrets?: SecretStore | null;
}>;

/** The adapters every resource module injects. */
@Global()
@Module({})
class CoreModule {
  static with(deps: ApiDeps): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: CONFIG, useValue: deps.config },
        { provide: EVENT_STORE, useValue: deps.store },
        { provide: PROJECTION, useValue: deps.view },
        { provide: CLOCK, useValue: deps.clock },
        { provide: LOGGER, useValue: deps.logger },
        { provide: AGENT_QUERIES, useValue: deps.agentQueries ?? noAgentQueries },
        { provide: SECRET_STORE, useValue: deps.secrets ?? null },
        Writes,
      ],
      exports: [CONFIG, EVENT_STORE, PROJECTION, CLOCK, LOGGER, AGENT_QUERIES, SECRET_STORE, Writes],
    };
  }
}

@Module({})
class ApiModule {
  static with(deps: ApiDeps): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        CoreModule.with(deps), VersionsModule, LoadBalancersModule, ListenersModule, PoolsModule, MembersModule,
        HealthMonitorsModule, NetworksModule, AgentsModule, L7PoliciesModule, QuotasModule, ProjectsModule, SecretsModule,
        HistoryModule, OperatorModule,
      ],
    };
  }
}

type Timed = FastifyRequest & { startedAt?: bigint; lbId?: string };

/** Request ids, one JSON log line per request, and a JSON body parser whose errors become Octavia's 400. */
function installHttpEdge(fastify: FastifyInstance, deps: ApiDeps): void {
  fastify.addHook('onRequest', (req: Timed, reply, done) => {
    req.startedAt = process.hrtime.bigint();
    void reply.header('x-openstack-request-id', req.id);
    const named = req.headers['x-project-id'] ?? req.headers['x-tenant-id'];
    runInProjectScope(typeof named === 'string' && named !== '' ? named : null, done);
  });
  fastify.addHook('onResponse', (req: Timed, reply, done) => {
    const ms = req.startedAt ? Number(process.hrtime.bigint() - req.startedAt) / 1e6 : undefined;
    const lbId = req.lbId ?? /\/loadbalancers\/([0-9a-f-]{36})/i.exec(req.url)?.[1];
    deps.logger.info(
      { op: 'http', requestId: req.id, method: req.method, path: req.url.split('?')[0], status: reply.statusCode, ms, ...(lbId ? { lbId } : {}) },
      'request',
    );
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
    routerOptions: { ignoreTrailingSlash: true },
  });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.with(deps), adapter, {
    bodyParser: false,
    logger: new NestPinoLogger(deps.logger.child({ context: 'nest' })),
    abortOnError: false,
  });
  installHttpEdge(app.getHttpAdapter().getInstance(), deps);
  app.useGlobalFilters(new ApiExceptionFilter(deps.logger));
  await app.init();
  return app;
}
