import type { Logger } from 'pino';
import { MemoryBus } from './memory-bus';

// Placeholder replaced by the RabbitMQ implementation (issue 03) in this same session.
export class RabbitBus extends MemoryBus {
  constructor(_url: string, _log: Logger) {
    super();
  }
}
