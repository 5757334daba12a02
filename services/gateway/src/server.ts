import { type FastifyInstance } from 'fastify';
import { type NatsConnection } from '@nats-io/nats-core';
import { ChainWriter, connectNats, ensureStream, type StreamOptions } from '@totra/eventlog';
import { jetstreamManager } from '@nats-io/jetstream';
import { buildGateway } from './app.js';
import { type GatewayConfig } from './config.js';

/** A running gateway with the connections it owns. */
export interface RunningGateway {
  app: FastifyInstance;
  url: string;
  writer: ChainWriter;
  nc: NatsConnection;
  close(): Promise<void>;
}

/**
 * Starts a gateway: connects to NATS, makes sure the stream exists, opens the gateway's
 * chain, and listens. `close()` stops taking requests, flushes the chain and disconnects.
 */
export async function startGateway(config: GatewayConfig, opts: { version?: string; onWarning?: (m: string) => void } = {}): Promise<RunningGateway> {
  const nc = await connectNats(config.natsUrl, { name: 'totra-gateway', waitOnFirstConnect: true });
  const stream: StreamOptions = { name: config.streamName, subjectPrefix: config.subjectPrefix, replicas: config.streamReplicas };
  const jsm = await jetstreamManager(nc, { checkAPI: false });
  await ensureStream(jsm, stream);
  const writer = await ChainWriter.open({
    nc,
    stream,
    role: 'gateway',
    spoolDir: config.spoolDir,
    writerVersion: opts.version ?? '0.1.0',
    ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
  });
  const app = buildGateway({
    bodyLimitBytes: config.bodyLimitBytes,
    logLevel: config.logLevel,
    ...(opts.version ? { version: opts.version } : {}),
    readiness: [
      { name: 'nats', check: () => (nc.isClosed() ? 'connection closed' : undefined) },
      {
        name: 'eventlog',
        check: () => {
          const mode = writer.stats().mode;
          if (mode === 'failed' || mode === 'closed') return `chain writer ${mode}`;
          return undefined;
        },
      },
    ],
  });
  const address = await app.listen({ host: config.host, port: config.port });
  const url = address.replace('0.0.0.0', '127.0.0.1').replace('[::]', '127.0.0.1');
  return {
    app,
    url,
    writer,
    nc,
    async close() {
      await app.close();
      await writer.close();
      await nc.drain().catch(() => undefined);
    },
  };
}
