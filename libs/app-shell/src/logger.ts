import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';

/** One JSON logger per process, tagged with the service and the ids that identify this instance (e.g. agent_id). */
export function createLogger(service: string, bindings: Record<string, unknown> = {}, level = 'info'): Logger {
  return pino({ level, base: { service, pid: process.pid, ...bindings }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** Nest's own messages (bootstrap, routes, errors) go through the same pino logger. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string): void { this.logger.info({ context }, String(message)); }
  error(message: unknown, trace?: string, context?: string): void { this.logger.error({ context, trace }, String(message)); }
  warn(message: unknown, context?: string): void { this.logger.warn({ context }, String(message)); }
  debug(message: unknown, context?: string): void { this.logger.debug({ context }, String(message)); }
  verbose(message: unknown, context?: string): void { this.logger.trace({ context }, String(message)); }
}
