// The floor for a Node proxy on this machine, run as its own process: node:http in front,
// one undici Agent behind (keep-alive pool to the upstream), bodies buffered whole on the
// way in and forwarded without parsing; the answer is buffered when it has a length and
// relayed chunk by chunk when it streams. No auth, no events, no metrics: pure transport.
import { createServer } from 'node:http';
import { Agent } from 'undici';

const upstream = new URL(process.env.BENCH_UPSTREAM_URL);
const agent = new Agent({ connections: 256, keepAliveTimeout: 30_000 });

const server = createServer({ keepAlive: true, noDelay: true }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    try {
      const up = await agent.request({
        origin: upstream.origin,
        path: req.url,
        method: req.method,
        headers: { 'content-type': req.headers['content-type'] ?? 'application/json', authorization: req.headers.authorization ?? '' },
        body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks),
      });
      const type = String(up.headers['content-type'] ?? '');
      if (type.startsWith('text/event-stream')) {
        res.writeHead(up.statusCode, { 'content-type': type, 'cache-control': 'no-cache' });
        for await (const chunk of up.body) res.write(chunk);
        res.end();
      } else {
        const buf = Buffer.from(await up.body.arrayBuffer());
        res.writeHead(up.statusCode, { 'content-type': type || 'application/json', 'content-length': buf.length });
        res.end(buf);
      }
    } catch (err) {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(err?.code ?? err));
    }
  });
});

server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', url: `http://127.0.0.1:${server.address().port}` }));
process.on('disconnect', () => {
  server.closeAllConnections();
  server.close();
  void agent.close().then(() => process.exit(0));
});
