import { createServer } from 'node:net';
import { EnginesError } from './errors.js';

/**
 * A TCP port that is free on `host` right now (the kernel picks it: listen on port 0, read, close).
 * Another process may take it before the server binds it; the `start*` functions retry on that race.
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new EnginesError('TOTRA_ENGINE_NO_FREE_PORT', `no free port on ${host}`))));
    });
  });
}

/** Whether nothing listens on `host:port` (tries to bind it). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
