import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The gateway's Prometheus metrics, on a registry of its own (one per app instance). */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'totra_requests_total',
    help: 'Requests by inbound API, HTTP status and outcome (completed, rejected, failed).',
    labelNames: ['api', 'status', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly overhead = new Histogram({
    name: 'totra_gateway_overhead_seconds',
    help: 'Time spent in the gateway itself (total minus upstream).',
    buckets: [0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers: [this.registry],
  });
  readonly upstream = new Histogram({
    name: 'totra_upstream_seconds',
    help: 'Time waiting on the provider, by provider.',
    labelNames: ['provider'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly tokens = new Counter({
    name: 'totra_tokens_total',
    help: 'Tokens by direction (input, output) and model alias.',
    labelNames: ['direction', 'model'] as const,
    registers: [this.registry],
  });
  readonly inflight = new Gauge({ name: 'totra_inflight_requests', help: 'Requests being served.', registers: [this.registry] });

  constructor(collect?: (registry: Registry) => void) {
    collect?.(this.registry);
  }
}
