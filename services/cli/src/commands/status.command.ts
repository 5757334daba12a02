import { connect as tcpConnect } from 'node:net';
import { readUrls } from '../state.js';

export interface StatusLine {
  name: string;
  url: string;
  up: boolean;
  detail: string;
}

function tcpReachable(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function probe(name: string, url: string): Promise<StatusLine> {
  try {
    if (url.startsWith('http')) {
      const res = await fetch(new URL('/readyz', url), { signal: AbortSignal.timeout(2000) });
      return { name, url, up: res.ok, detail: res.ok ? 'ready' : `not ready (HTTP ${res.status})` };
    }
    const u = new URL(url);
    const defaultPort: Record<string, number> = { 'nats:': 4222, 'redis:': 6379, 'postgres:': 5432, 'postgresql:': 5432 };
    const port = Number(u.port || defaultPort[u.protocol] || 0);
    const up = await tcpReachable(u.hostname, port);
    return { name, url, up, detail: up ? 'reachable' : 'not reachable' };
  } catch (err) {
    return { name, url, up: false, detail: (err as Error).message };
  }
}

/** Probes every URL that `totra up` wrote; undefined when nothing was started here. */
export async function status(stateDir: string): Promise<StatusLine[] | undefined> {
  const urls = readUrls(stateDir);
  if (!urls) return undefined;
  return Promise.all(Object.entries(urls).map(([name, url]) => probe(name, url)));
}
