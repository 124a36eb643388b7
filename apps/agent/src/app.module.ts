import { Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { CONFIG, LOGGER, NATS_CONNECTION } from '@lbaas/app-shell';
import { AgentRuntime } from './agent-runtime';
import type { AgentConfig } from './config';
import { queriesController } from './queries.controller';

/** Stops the loops on shutdown (SIGTERM/SIGINT) without touching the data plane. */
class RuntimeLifecycle implements OnApplicationShutdown {
  constructor(private readonly runtime: AgentRuntime) {}
  async onApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}

/** The agent's Nest shell: adapters (config, logger, NATS, the runtime) and the query controller. No rules live here. */
@Module({})
export class AppModule {
  static forRoot(deps: { config: AgentConfig; runtime: AgentRuntime; logger: unknown; nc: unknown }): DynamicModule {
    return {
      module: AppModule,
      controllers: [queriesController(deps.config.agentId)],
      providers: [
        { provide: CONFIG, useValue: deps.config },
        { provide: LOGGER, useValue: deps.logger },
        { provide: NATS_CONNECTION, useValue: deps.nc },
        { provide: AgentRuntime, useValue: deps.runtime },
        { provide: RuntimeLifecycle, useFactory: (r: AgentRuntime) => new RuntimeLifecycle(r), inject: [AgentRuntime] },
      ],
    };
  }
}
