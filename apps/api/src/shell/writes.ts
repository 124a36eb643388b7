import { Inject, Injectable } from '@nestjs/common';
import type { Actor } from '@lbaas/contracts';
import type { CommandMetadata, Decider } from '@lbaas/events';
import { handle, type EventStore, type StreamRef } from '@lbaas/event-store';
import { CLOCK, EVENT_STORE, LOGGER, PROJECTION, newId, type Clock } from '@lbaas/app-shell';
import type { Logger } from 'pino';
import type { ReadModel } from './read-model';

/** How long a write waits for its own commit to reach the view before answering anyway. */
const READ_YOUR_WRITES_MS = 5_000;

/**
 * An adapter, not a service: runs one command through `handle()` on its aggregate and waits until the api's
 * view has applied the resulting commit, so the reply (rendered from the view) shows the write.
 */
@Injectable()
export class Writes {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTION) private readonly view: ReadModel,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** A fresh command id (the commit id, so a retried append is deduplicated) and the time of the decision. */
  metadata(): CommandMetadata {
    return { commandId: newId(), now: this.clock.now() };
  }

  async run<S, C extends { type: string; metadata: CommandMetadata }, E>(
    stream: StreamRef, decider: Decider<S, C, E>, command: C, actor: Actor,
  ): Promise<{ events: readonly E[]; seq: number }> {
    const result = await handle(this.store, stream, decider, command, actor);
    try {
      await this.view.waitFor(result.seq, READ_YOUR_WRITES_MS);
    } catch (err) {
      this.logger.warn({ op: 'read-your-writes', seq: result.seq, command: command.type, err }, 'view did not catch up in time');
    }
    return result;
  }
}
