import { connect } from '@nats-io/transport-node';
import { type NatsConnection } from '@nats-io/nats-core';

export interface ConnectNatsOptions {
  /** Client name shown in the server's connection list. */
  name: string;
  /** Keep trying when the server is not up yet (a writer then spools until it is). */
  waitOnFirstConnect?: boolean;
  /** Milliseconds between reconnect attempts. */
  reconnectTimeWait?: number;
  timeout?: number;
}

/** Connects to NATS and keeps reconnecting forever: an outage must never end a writer. */
export function connectNats(url: string, opts: ConnectNatsOptions): Promise<NatsConnection> {
  return connect({
    servers: url.split(',').map((s) => s.trim()),
    name: opts.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: opts.reconnectTimeWait ?? 250,
    waitOnFirstConnect: opts.waitOnFirstConnect ?? false,
    timeout: opts.timeout ?? 5000,
    pingInterval: 10_000,
    // No stack captured for every request and publish: it costs more than the publish itself.
    noAsyncTraces: true,
  });
}
