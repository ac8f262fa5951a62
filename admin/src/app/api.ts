/** One field-level problem from an RFC 9457 answer of the hub. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** A refused or failed request: the hub's problem+json, or `network_error` when the hub is unreachable. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: FieldProblem[] = [],
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const isApiError = (e: unknown): e is ApiError => e instanceof ApiError;

let onUnauthorized: (() => void) | undefined;

/** The session layer registers here: any 401 outside the login probe means the session ended. */
export function setUnauthorizedHandler(fn: (() => void) | undefined): void {
  onUnauthorized = fn;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Do not treat a 401 as "session ended" (the login form and the initial probe). */
  anonymousOk?: boolean;
}

type Query = Record<string, string | number | undefined | null>;

export function withQuery(path: string, query: Query): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export interface SendOptions extends RequestOptions {
  /** Extra request headers, e.g. Idempotency-Key. */
  headers?: Record<string, string>;
}

/** A body sent as it is (a file), with its own media type. */
class RawBody {
  constructor(
    readonly data: Blob,
    readonly type: string,
  ) {}
}

async function request<T>(method: string, path: string, body?: unknown, opts: SendOptions = {}): Promise<T> {
  let res: Response;
  const raw = body instanceof RawBody ? body : undefined;
  const headers: Record<string, string> = { Accept: 'application/json', ...(opts.headers ?? {}) };
  if (raw) headers['Content-Type'] = raw.type;
  else if (body !== undefined) headers['Content-Type'] = 'application/json';
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers,
      body: raw ? raw.data : body === undefined ? undefined : JSON.stringify(body),
      signal: opts.signal,
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'network_error', 'The hub cannot be reached');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const p = (data ?? {}) as { code?: string; detail?: string; errors?: FieldProblem[]; requestId?: string };
    if (res.status === 401 && !opts.anonymousOk) onUnauthorized?.();
    throw new ApiError(res.status, p.code ?? `http_${res.status}`, p.detail ?? res.statusText, Array.isArray(p.errors) ? p.errors : [], p.requestId);
  }
  return data as T;
}

/** The hub's JSON API, same origin, session cookie included. */
export const http = {
  get: <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, undefined, opts),
  post: <T>(path: string, body?: unknown, opts?: SendOptions) => request<T>('POST', path, body ?? {}, opts),
  patch: <T>(path: string, body: unknown, opts?: RequestOptions) => request<T>('PATCH', path, body, opts),
  put: <T>(path: string, body: unknown, opts?: RequestOptions) => request<T>('PUT', path, body, opts),
  /** A file as the raw body (`text/csv` for imports). */
  upload: <T>(path: string, file: Blob, type: string, opts?: RequestOptions) => request<T>('POST', path, new RawBody(file, type), opts),
  delete: <T>(path: string, opts?: RequestOptions) => request<T>('DELETE', path, undefined, opts),
};
