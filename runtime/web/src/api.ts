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

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const reply = await fetch(path, {
    headers: { Accept: 'application/json', ...authHeaders() },
    cache: 'no-store',
    credentials: 'omit',
    signal,
  });
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
