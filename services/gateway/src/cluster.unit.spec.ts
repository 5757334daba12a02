import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workerIndex, workerNodeFlags, workerSpoolDir } from './cluster.js';

describe('gateway worker processes', () => {
  it('gives worker 0 the configured spool folder and every other worker a folder of its own inside it', () => {
    expect(workerSpoolDir('/var/spool/totra', 0)).toBe('/var/spool/totra');
    expect(workerSpoolDir('/var/spool/totra', 1)).toBe(join('/var/spool/totra', 'worker-1'));
    expect(workerSpoolDir('/var/spool/totra', 2)).not.toBe(workerSpoolDir('/var/spool/totra', 1));
  });

  it('is no worker outside a cluster, whatever the environment says', () => {
    expect(workerIndex({ TOTRA_GATEWAY_WORKER_INDEX: '1' })).toBeUndefined();
  });

  it('gives workers a larger young generation, scavenged on one thread when they take every core, unless flags are configured', () => {
    expect(workerNodeFlags(undefined, 2, 2)).toEqual(['--no-parallel-scavenge', '--max-semi-space-size=64']);
    expect(workerNodeFlags(undefined, 8, 4)).toEqual(['--no-parallel-scavenge', '--max-semi-space-size=64']);
    expect(workerNodeFlags(undefined, 2, 8)).toEqual(['--max-semi-space-size=64']); // cores to spare: V8's parallel scavenge
    expect(workerNodeFlags('none', 2, 2)).toEqual([]);
    expect(workerNodeFlags('--max-semi-space-size=32  --no-opt', 2, 2)).toEqual(['--max-semi-space-size=32', '--no-opt']);
  });
});
