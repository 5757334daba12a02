import { Redis } from 'ioredis';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectNats, ensureStream } from '@totra/eventlog';
import { startQuotaHotProjection, type QuotaHotProjection } from '@totra/projection-quota-hot';
import { type ProjectorConfig } from './config.js';

export interface RunningProjector {
  quotaHot: QuotaHotProjection;
  close(): Promise<void>;
}

/** Starts every projection this service runs (today: quota-hot) and keeps them consuming. */
export async function startProjector(config: ProjectorConfig, onWarning: (m: string) => void = () => undefined): Promise<RunningProjector> {
  const nc = await connectNats(config.natsUrl, { name: 'totra-projector', waitOnFirstConnect: true });
  const stream = { name: config.streamName, subjectPrefix: config.subjectPrefix };
  await ensureStream(await jetstreamManager(nc, { checkAPI: false }), stream);
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', (err: Error) => onWarning(`redis: ${err.message}`));
  const quotaHot = await startQuotaHotProjection({ nc, stream, redis, keyPrefix: config.redisPrefix, consumerName: 'quota-hot', onWarning });
  return {
    quotaHot,
    async close() {
      await quotaHot.stop();
      redis.disconnect();
      await nc.drain().catch(() => undefined);
    },
  };
}
