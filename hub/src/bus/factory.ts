import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Bus } from './bus';
import { MemoryBus } from './memory-bus';

/** Memory bus in embedded mode; RabbitMQ when AMQP_URL is set. */
export async function createBus(config: Pick<Config, 'AMQP_URL'>, log: Logger): Promise<Bus> {
  if (!config.AMQP_URL) return new MemoryBus();
  const { RabbitBus } = await import('./rabbit-bus');
  return new RabbitBus(config.AMQP_URL, log.child({ component: 'bus' }));
}
