// The machine's ceiling for the bench: the same socket.io version and
// namespaces as the copilot, but /ingest only acks and rebroadcasts, with no
// validation, state, agents or storage. Run as a child: `node --import tsx scripts/bench/echoServer.ts`.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { Registry, collectDefaultMetrics } from 'prom-client';

// Same default metrics (and event-loop precision) as the copilot, so the columns compare.
const registry = new Registry();
collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });

const http = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/metrics') {
    registry
      .metrics()
      .then((text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(text);
      })
      .catch(() => {
        res.writeHead(500);
        res.end();
      });
    return;
  }
  // socket.io answers its own path before this handler; anything else is unknown.
  if (!req.url?.startsWith('/socket.io')) {
    res.writeHead(404);
    res.end();
  }
});
const io = new Server(http, { serveClient: false, maxHttpBufferSize: 1e6 });
const dashboard = io.of('/dashboard');

dashboard.on('connection', (socket) => {
  socket.on('subscribe', (_payload: unknown, cb: unknown) => {
    void socket.join('all');
    if (typeof cb === 'function') cb({ ok: true, stationIds: '*' });
  });
});

io.of('/ingest').on('connection', (socket) => {
  socket.on('signal', (payload: unknown, cb: unknown) => {
    const p = (payload ?? {}) as { id?: unknown; stationId?: unknown };
    if (typeof cb === 'function') cb({ ok: true, id: p.id, duplicate: false });
    dashboard.to('all').emit('station:updated', { id: p.stationId, stationId: p.stationId, signalId: p.id });
  });
});

http.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = http.address() as AddressInfo;
  process.stdout.write(`Bare socket.io echo listening on http://${address}:${port}\n`);
});

const stop = () => {
  void io.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
