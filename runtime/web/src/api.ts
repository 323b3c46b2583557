// Every request the view makes to psd goes through here: same origin, the
// bearer token (when the operator gave one) in the Authorization header,
// never in a URL. The token lives in sessionStorage: gone when the tab
// closes, never sent anywhere but to the psd that served this page.

const TOKEN_KEY = 'packetscope.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function token(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(value: string | null): void {
  try {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage refused (a locked-down browser): the token is asked again.
  }
}

export function authHeaders(): Record<string, string> {
  const t = token();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

// Listeners told when psd answers 401: the shell asks for the token.
const unauthorizedListeners = new Set<() => void>();
export function onUnauthorized(fn: () => void): void {
  unauthorizedListeners.add(fn);
}

function requestInit(signal?: AbortSignal): RequestInit {
  return { headers: { Accept: 'application/json', ...authHeaders() }, cache: 'no-store', credentials: 'omit', signal };
}

// The first requests of the page, started by boot.ts (a small script of
// its own, run as soon as it arrives) while the main script is still
// being compiled and run: the first render waits for the later of the
// two, not for both in a row. Each is taken once, by the first getJson of
// its path; one nobody takes is dropped with the page.
const EARLY_KEY = '__packetscopeEarly';
const EARLY_PATHS = ['/api/v1/summary', '/api/v1/status'];
type Early = Record<string, Promise<Response> | undefined>;

export function startEarlyRequests(): void {
  const early: Early = {};
  for (const path of EARLY_PATHS) {
    const reply = fetch(path, requestInit());
    reply.catch(() => undefined); // its failure is getJson's to report
    early[path] = reply;
  }
  (window as unknown as Record<string, Early>)[EARLY_KEY] = early;
}

function takeEarly(path: string): Promise<Response> | undefined {
  const early = (globalThis as unknown as Record<string, Early | undefined>)[EARLY_KEY];
  const reply = early?.[path];
  if (early && reply) early[path] = undefined;
  return reply;
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const reply = await ((signal ? undefined : takeEarly(path)) ?? fetch(path, requestInit(signal)));
  if (!reply.ok) {
    let message = `${reply.status} ${reply.statusText}`;
    try {
      const body = (await reply.json()) as { error?: string };
      if (body && typeof body.error === 'string') message = body.error;
    } catch {
      // Not JSON: the status line says enough.
    }
    if (reply.status === 401) unauthorizedListeners.forEach((fn) => fn());
    throw new ApiError(reply.status, message);
  }
  return (await reply.json()) as T;
}
