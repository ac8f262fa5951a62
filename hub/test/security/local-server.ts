import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local HTTP server standing for an internal service an attacker wants the hub to reach; it counts hits. */
export async function internalServer(reply: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_q, r) => r.end('{}')) {
  const hits: string[] = [];
  const s = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    reply(req, res);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  return {
    hits,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        s.closeAllConnections();
        s.close(() => r());
      }),
  };
}
