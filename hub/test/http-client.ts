import http from 'node:http';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
  text: string;
}

/** A small keep-alive HTTP client for load tests (many concurrent requests over a socket pool). */
export function send(url: string, agent: http.Agent, method: string, headers: Record<string, string>, body?: unknown, raw?: Buffer | string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = raw !== undefined ? Buffer.from(raw) : body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      url,
      { method, agent, headers: { ...(data && raw === undefined ? { 'content-type': 'application/json' } : {}), ...(data ? { 'content-length': String(data.length) } : {}), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            parsed = null;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

export const post = (url: string, agent: http.Agent, headers: Record<string, string>, body: unknown) => send(url, agent, 'POST', headers, body);
