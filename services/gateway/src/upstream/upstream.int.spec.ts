import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ProviderHttpRequest } from '@totra/providers';
import { Upstream } from './upstream.js';

/** A provider stand-in on a local port whose behaviour each test sets. */
let server: Server;
let base: string;
let handle: (req: IncomingMessage, res: ServerResponse, body: string) => void;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

let upstream: Upstream;
afterEach(async () => {
  await upstream.close();
});

const post = (path: string, body = '{"q":1}'): ProviderHttpRequest => ({
  url: `${base}${path}`,
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' },
  body,
});

describe('Upstream.sendBuffered', () => {
  it('sends the request and reads the whole answer: status, headers and the body across chunks', async () => {
    upstream = new Upstream();
    let seen: { method?: string; url?: string; auth?: string; body?: string } = {};
    handle = (req, res, body) => {
      seen = { method: req.method, url: req.url, auth: req.headers.authorization, body };
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7', 'set-cookie': ['a=1', 'b=2'] });
      res.write('{"error":{"message":"slow ');
      res.write('down ü"}}');
      res.end();
    };
    const r = await upstream.sendBuffered(post('/v1/chat/completions?api-version=1'), new AbortController().signal);
    expect(seen).toEqual({ method: 'POST', url: '/v1/chat/completions?api-version=1', auth: 'Bearer sk-test', body: '{"q":1}' });
    expect(r.statusCode).toBe(429);
    expect(r.headers['retry-after']).toBe('7');
    expect(r.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(r.text).toBe('{"error":{"message":"slow down ü"}}');
  });

  it('drops a UTF-8 byte order mark, as a body stream read as text does', async () => {
    upstream = new Upstream();
    handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"ok":true}')]));
    };
    expect((await upstream.sendBuffered(post('/bom'), new AbortController().signal)).text).toBe('{"ok":true}');
  });

  it('reads an empty body as an empty text', async () => {
    upstream = new Upstream();
    handle = (_req, res) => {
      res.writeHead(204);
      res.end();
    };
    const r = await upstream.sendBuffered(post('/empty'), new AbortController().signal);
    expect(r).toMatchObject({ statusCode: 204, text: '' });
  });

  it('rejects with the reason of a signal aborted before sending, and sends nothing', async () => {
    upstream = new Upstream();
    let requests = 0;
    handle = (_req, res) => {
      requests++;
      res.end('{}');
    };
    const ac = new AbortController();
    const reason = new Error('client went away');
    ac.abort(reason);
    await expect(upstream.sendBuffered(post('/early'), ac.signal)).rejects.toBe(reason);
    expect(requests).toBe(0);
  });

  it('rejects with the signal reason when aborted mid-answer, and closes the upstream connection', async () => {
    upstream = new Upstream();
    let closed!: Promise<unknown>;
    let started!: () => void;
    const firstChunkSent = new Promise<void>((r) => (started = r));
    handle = (_req, res) => {
      closed = once(res, 'close');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":');
      started();
    };
    const ac = new AbortController();
    const pending = upstream.sendBuffered(post('/slow'), ac.signal);
    await firstChunkSent;
    const reason = new Error('client closed');
    ac.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await closed;
  });

  it('rejects with undici’s headers timeout when the provider does not answer in time', async () => {
    upstream = new Upstream();
    handle = () => undefined; // never answers
    await expect(upstream.sendBuffered(post('/silent'), new AbortController().signal, 50)).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
  });

  it('rejects with undici’s connection error when nothing listens', async () => {
    upstream = new Upstream({ connectTimeoutMs: 2000 });
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const req = { ...post('/'), url: `http://127.0.0.1:${port}/v1/chat/completions` };
    await expect(upstream.sendBuffered(req, new AbortController().signal)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
