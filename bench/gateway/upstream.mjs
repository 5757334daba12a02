// The upstream of bench/gateway, run as its own process: a mock provider in fast mode (answers
// precomputed once, bodies not parsed) with a fixed latency before the first byte; the OpenAI
// mock unless BENCH_UPSTREAM_PROVIDER names another (the A/B runs' AB_API=anthropic).
// run.mjs switches the latency (100 ms for the latency runs, 0 ms for throughput) over IPC.
import { startMockProvider } from '@totra/testing';

const mock = await startMockProvider({
  provider: process.env.BENCH_UPSTREAM_PROVIDER ?? 'openai',
  apiKey: process.env.BENCH_UPSTREAM_KEY,
  behaviour: { latencyMs: Number(process.env.BENCH_UPSTREAM_LATENCY_MS ?? 100), fast: true },
  maxRecordedRequests: 0,
});

process.on('message', (msg) => {
  if (msg?.type === 'latency') {
    mock.setBehaviour({ latencyMs: msg.ms });
    process.send({ type: 'ack', id: msg.id });
  } else if (msg?.type === 'count') {
    process.send({ type: 'ack', id: msg.id, requests: mock.requestCount });
  }
});
process.on('disconnect', () => void mock.close().then(() => process.exit(0)));
process.send({ type: 'ready', url: mock.url, baseUrl: mock.baseUrl });
