// A loopback proxy in front of a test app that signs every request in as an admin unless it
// brings its own credentials (Authorization, X-Device-Key) or asks to go anonymous
// (X-Anonymous: 1). Tests of behaviour talk through it; tests of access control use the
// app's own URL. Socket.io's WebSocket upgrade gets the same header.
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface AdminProxy {
  url: string;
  close(): Promise<void>;
}

function signedIn(headers: IncomingHttpHeaders, token: string): IncomingHttpHeaders {
  const out = { ...headers };
  if (out['x-anonymous']) delete out['x-anonymous'];
  else if (!out.authorization && !out['x-device-key']) out.authorization = `Bearer ${token}`;
  return out;
}

export async function startAdminProxy(target: string, token: () => string): Promise<AdminProxy> {
  const { hostname, port } = new URL(target);
  const server: Server = createServer((req, res) => {
    const up = httpRequest({ host: hostname, port, method: req.method, path: req.url, headers: signedIn(req.headers, token()) }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('upgrade', (req, socket, head) => {
    const upstream = connect(Number(port), hostname, () => {
      const headers = signedIn(req.headers, token());
      const lines = [
        `${req.method} ${req.url} HTTP/1.1`,
        ...Object.entries(headers).flatMap(([k, v]) =>
          Array.isArray(v) ? v.map((x) => `${k}: ${x}`) : v === undefined ? [] : [`${k}: ${v}`],
        ),
      ];
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) upstream.write(head);
      upstream.pipe(socket).pipe(upstream);
    });
    const drop = () => {
      socket.destroy();
      upstream.destroy();
    };
    upstream.on('error', drop);
    socket.on('error', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${addr.port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
