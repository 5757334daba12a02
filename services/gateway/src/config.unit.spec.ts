import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { GatewayConfigError, loadGatewayConfig } from './config.js';

describe('gateway configuration', () => {
  it('has sane defaults without any variable', () => {
    const c = loadGatewayConfig({});
    expect(c).toMatchObject({ port: 8080, quotaWaitMs: 3_000, closeGraceMs: 10_000, unpriced: 'reject', logLevel: 'info', workers: 1, quotaUntrackedCacheMs: 1_000, quotaLeaseTtlMs: 60_000, upstreamTimeoutMs: 600_000 });
    expect(c.trustedProxies).toEqual([]);
  });

  it('reads each setting from its variable', () => {
    const c = loadGatewayConfig({ TOTRA_GATEWAY_PORT: '9090', TOTRA_GATEWAY_CLOSE_GRACE_MS: '2500', TOTRA_QUOTA_WAIT_MS: '0', TOTRA_QUOTA_UNTRACKED_CACHE_MS: '0', TOTRA_TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.1' });
    expect(c).toMatchObject({ port: 9090, closeGraceMs: 2_500, quotaWaitMs: 0, quotaUntrackedCacheMs: 0 });
    expect(c.trustedProxies).toEqual(['10.0.0.0/8', '192.168.1.1']);
  });

  it('reads the number of worker processes, or one per core for auto', () => {
    expect(loadGatewayConfig({ TOTRA_GATEWAY_WORKERS: '3' }).workers).toBe(3);
    expect(loadGatewayConfig({ TOTRA_GATEWAY_WORKERS: 'auto' }).workers).toBe(availableParallelism());
    for (const bad of ['0', '65', 'many', '1.5']) {
      expect(() => loadGatewayConfig({ TOTRA_GATEWAY_WORKERS: bad })).toThrow(/TOTRA_GATEWAY_WORKERS: a number of processes from 1 to 64, or auto/);
    }
  });

  it('reads the worker processes\' Node flags, refusing anything that is not a flag', () => {
    expect(loadGatewayConfig({}).workerNodeFlags).toBeUndefined();
    expect(loadGatewayConfig({ TOTRA_GATEWAY_WORKER_NODE_FLAGS: ' --no-parallel-scavenge --max-semi-space-size=32 ' }).workerNodeFlags).toBe('--no-parallel-scavenge --max-semi-space-size=32');
    expect(loadGatewayConfig({ TOTRA_GATEWAY_WORKER_NODE_FLAGS: 'none' }).workerNodeFlags).toBe('none');
    for (const bad of ['no-parallel-scavenge', '--x; rm -rf /', '-e', '--eval=1 2', '--require=./x.js', '--import=data:,1', '--inspect=0.0.0.0:9229', '--inspect']) {
      expect(() => loadGatewayConfig({ TOTRA_GATEWAY_WORKER_NODE_FLAGS: bad })).toThrow(/TOTRA_GATEWAY_WORKER_NODE_FLAGS: Node flags such as/);
    }
  });

  it('refuses a bad value with a message naming the variable', () => {
    expect(() => loadGatewayConfig({ TOTRA_GATEWAY_CLOSE_GRACE_MS: 'soon' })).toThrow(GatewayConfigError);
    expect(() => loadGatewayConfig({ TOTRA_GATEWAY_CLOSE_GRACE_MS: '-1' })).toThrow(/TOTRA_GATEWAY_CLOSE_GRACE_MS/);
    expect(() => loadGatewayConfig({ TOTRA_GATEWAY_PORT: '70000' })).toThrow(/TOTRA_GATEWAY_PORT/);
  });

  it('reads the budget lease TTL: 0 turns leases off, and a TTL under a second is refused', () => {
    expect(loadGatewayConfig({ TOTRA_QUOTA_LEASE_TTL_MS: '0' }).quotaLeaseTtlMs).toBe(0);
    expect(loadGatewayConfig({ TOTRA_QUOTA_LEASE_TTL_MS: '5000' }).quotaLeaseTtlMs).toBe(5_000);
    expect(() => loadGatewayConfig({ TOTRA_QUOTA_LEASE_TTL_MS: '500' })).toThrow(/TOTRA_QUOTA_LEASE_TTL_MS: must be 0 \(no leases\) or at least 1000 ms/);
    expect(() => loadGatewayConfig({ TOTRA_QUOTA_LEASE_TTL_MS: '-1' })).toThrow(/TOTRA_QUOTA_LEASE_TTL_MS/);
  });
});
