import { existsSync } from 'node:fs';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { probeNats } from '@totra/engines';
import { afterAll, describe, expect, it } from 'vitest';
import { natsUrl } from './engine-urls.js';
import { startOwnNats, type OwnNats } from './own-nats.js';
import { uniquePrefix, uniqueStreamName } from './unique-names.js';

describe('startOwnNats (real nats-server)', () => {
  let own: OwnNats | undefined;
  afterAll(async () => {
    await own?.dispose();
  });

  it('goes down and comes back on the same port with its JetStream data, clients reconnect', async () => {
    own = await startOwnNats();
    expect(own.url).not.toBe(await natsUrl());
    const nc = await connect({ servers: own.url, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
    try {
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      const stream = uniqueStreamName('OWN');
      const prefix = uniquePrefix('own');
      await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`] });
      for (const n of [1, 2, 3]) await js.publish(`${prefix}.event`, String(n));

      const reconnected = (async () => {
        for await (const status of nc.status()) if (status.type === 'reconnect') return status.type;
        return 'closed';
      })();

      const port = own.port;
      await own.stop();
      expect(own.running).toBe(false);
      expect(await probeNats(port)).toBe(false);

      await own.start();
      expect(own.running).toBe(true);
      expect(own.port).toBe(port);
      expect(await reconnected).toBe('reconnect');

      expect((await jsm.streams.info(stream)).state.messages).toBe(3);
      const ack = await js.publish(`${prefix}.event`, '4');
      expect(ack.seq).toBe(4);
    } finally {
      await nc.close();
    }
  });

  it('removes its temp data when disposed', async () => {
    const other = await startOwnNats();
    expect(existsSync(other.storeDir)).toBe(true);
    await other.dispose();
    expect(other.running).toBe(false);
    expect(existsSync(other.storeDir)).toBe(false);
    expect(await probeNats(other.port)).toBe(false);
  });
});
