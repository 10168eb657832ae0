// A loopback pass-through that adds `Authorization: Bearer <token>` to every request, for HTTP
// clients that cannot send one (the official conformance suite's server mode takes only --url).
// Everything else — method, path, Origin, Mcp-Session-Id, the body, the streamed SSE answer —
// goes through unchanged, and so do a Host and an Origin that do not name the proxy's own loopback
// address (a rebinding page's domain), so the server's own checks (Host/Origin, size, era) are
// what the client meets. A Host or Origin naming the proxy is renamed to the server's port: to the
// server, the client addressed it directly.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BearerProxy {
  url: string;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (a free port) and forwards to `target`'s host and port. */
export async function startBearerProxy(target: string, token: string): Promise<BearerProxy> {
  const upstream = new URL(target);
  let port = 0;
  const renamed = (value: string, scheme: string): string => {
    const own = new RegExp(`^${scheme}(127\\.0\\.0\\.1|localhost|\\[::1\\]):(\\d+)$`, 'i').exec(value);
    return own && Number(own[2]) === port ? `${scheme}${own[1]}:${upstream.port}` : value;
  };
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers, authorization: `Bearer ${token}` };
    if (headers.host !== undefined) headers.host = renamed(headers.host, '');
    if (headers.origin !== undefined) headers.origin = renamed(headers.origin, 'http://');
    const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    res.on('close', () => forward.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
