// @authd/client: the types are generated from authd's openapi.yaml (src/schema.ts, `npm run generate`),
// requests go through openapi-fetch, and this file adds what every app would otherwise write: keeping the
// tokens, sending the access token, refreshing it once when authd answers 401 invalid_token (concurrent
// requests share one refresh) and retrying, and typed errors.
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type { components, paths } from "./schema.js";
export type User = components["schemas"]["User"];
export type AuthResponse = components["schemas"]["AuthResponse"];
export type RegisterRequest = components["schemas"]["RegisterRequest"];
export type ErrorResponse = components["schemas"]["ErrorResponse"];
export type ErrorCode = components["schemas"]["ErrorCode"];

/** The tokens of one session. */
export interface Tokens {
  accessToken: string;
  refreshToken: string;
}

/** Where tokens are kept. The default keeps them in memory; pass one to persist a session. */
export interface TokenStorage {
  get(): Tokens | null | Promise<Tokens | null>;
  set(tokens: Tokens | null): void | Promise<void>;
}

/** authd's error body, thrown for every answer that is not a success. */
export class AuthdError extends Error {
  readonly status: number;
  readonly code: ErrorCode | "network_error";
  readonly body: ErrorResponse | undefined;

  constructor(status: number, body: ErrorResponse | undefined, fallback: string) {
    super(body?.message ?? fallback);
    this.name = "AuthdError";
    this.status = status;
    this.code = body?.error ?? "network_error";
    this.body = body;
  }

  /** The invalid fields of a validation_error, by name. */
  get fields(): Record<string, string> {
    return this.body?.details.validation_errors ?? {};
  }
}

export interface AuthdClientOptions {
  /** authd's base URL, e.g. https://auth.example.com */
  baseUrl: string;
  /** Where tokens are kept; in memory by default. */
  storage?: TokenStorage;
  /** The fetch to use (tests, instrumentation); globalThis.fetch by default. */
  fetch?: typeof fetch;
}

export interface AuthdClient {
  /** Every operation of openapi.yaml, typed, with the session's access token and automatic refresh. */
  api: Client<paths>;
  register(body: RegisterRequest): Promise<AuthResponse>;
  login(email: string, password: string): Promise<AuthResponse>;
  /** Mails a sign-in code to email; authd answers the same whether or not an account has it. */
  requestLoginCode(email: string): Promise<void>;
  /** Signs in with the code requestLoginCode mailed. */
  loginWithCode(email: string, code: string): Promise<AuthResponse>;
  /** Signs in with the token of the message's sign-in link. */
  loginWithLink(token: string): Promise<AuthResponse>;
  /** Ends the session on the server and forgets the tokens. */
  logout(): Promise<void>;
  me(): Promise<User>;
  /** Rotates the tokens now (concurrent calls share one rotation). */
  refresh(): Promise<void>;
  tokens(): Promise<Tokens | null>;
}

function memoryStorage(): TokenStorage {
  let tokens: Tokens | null = null;
  return {
    get: () => tokens,
    set: (t) => {
      tokens = t;
    },
  };
}

// errorOf builds the AuthdError of a response: from the error body openapi-fetch already parsed, or by
// reading the (unread) response.
async function errorOf(response: Response, parsed?: unknown): Promise<AuthdError> {
  let body = parsed as ErrorResponse | undefined;
  if (body === undefined) {
    try {
      body = (await response.clone().json()) as ErrorResponse;
    } catch {
      body = undefined;
    }
  }
  return new AuthdError(response.status, body?.error ? body : undefined, `authd answered ${response.status}`);
}

export function createAuthdClient(options: AuthdClientOptions): AuthdClient {
  const storage = options.storage ?? memoryStorage();
  const rawFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  // A request that gets no answer at all (refused, reset, DNS) is an AuthdError too, with code network_error.
  const baseFetch = async (input: Request): Promise<Response> => {
    try {
      return await rawFetch(input);
    } catch (cause) {
      const error = new AuthdError(0, undefined, `authd could not be reached at ${options.baseUrl}: ${(cause as Error)?.message ?? cause}`);
      (error as Error & { cause?: unknown }).cause = cause;
      throw error;
    }
  };
  const plain = createClient<paths>({ baseUrl: options.baseUrl, fetch: baseFetch });
  let inFlight: Promise<void> | null = null;

  // refreshAfter rotates the tokens unless another caller already replaced the stale access token.
  async function refreshAfter(stale: string | undefined): Promise<void> {
    if (inFlight) return inFlight;
    const current = await storage.get();
    if (current && stale !== undefined && current.accessToken !== stale) return;
    if (!current) throw new AuthdError(401, undefined, "not signed in");
    inFlight = (async () => {
      const { data, error, response } = await plain.POST("/api/refresh", { body: { refresh_token: current.refreshToken } });
      if (!data) throw await errorOf(response, error);
      await storage.set({ accessToken: data.access_token, refreshToken: data.refresh_token });
    })();
    try {
      await inFlight;
    } finally {
      inFlight = null;
    }
  }

  // sessionFetch sends the access token and, on 401 invalid_token, refreshes once and sends the request again.
  const sessionFetch = async (input: Request): Promise<Response> => {
    const retry = input.clone();
    const tokens = await storage.get();
    if (tokens) input.headers.set("Authorization", `Bearer ${tokens.accessToken}`);
    const response = await baseFetch(input);
    if (response.status !== 401 || !tokens) return response;
    const error = await errorOf(response);
    if (error.code !== "invalid_token") return response;
    try {
      await refreshAfter(tokens.accessToken);
    } catch {
      return response; // the session is over: the caller sees the 401
    }
    const fresh = await storage.get();
    if (fresh) retry.headers.set("Authorization", `Bearer ${fresh.accessToken}`);
    return baseFetch(retry);
  };
  const api = createClient<paths>({ baseUrl: options.baseUrl, fetch: sessionFetch });

  async function signIn(data: AuthResponse | undefined, error: unknown, response: Response): Promise<AuthResponse> {
    if (!data) throw await errorOf(response, error);
    await storage.set({ accessToken: data.access_token, refreshToken: data.refresh_token });
    return data;
  }

  return {
    api,
    async register(body) {
      const { data, error, response } = await plain.POST("/api/register", { body });
      return signIn(data, error, response);
    },
    async login(email, password) {
      const { data, error, response } = await plain.POST("/api/login", { body: { email, password } });
      return signIn(data, error, response);
    },
    async requestLoginCode(email) {
      const { error, response } = await plain.POST("/api/login/code", { body: { email } });
      if (!response.ok) throw await errorOf(response, error);
    },
    async loginWithCode(email, code) {
      const { data, error, response } = await plain.POST("/api/login/code/verify", { body: { email, code } });
      return signIn(data, error, response);
    },
    async loginWithLink(token) {
      const { data, error, response } = await plain.POST("/api/login/code/verify", { body: { token } });
      return signIn(data, error, response);
    },
    async logout() {
      const tokens = await storage.get();
      await storage.set(null);
      if (!tokens) return;
      const { error, response } = await plain.POST("/api/logout", { body: { refresh_token: tokens.refreshToken } });
      if (!response.ok) throw await errorOf(response, error);
    },
    async me() {
      const { data, error, response } = await api.GET("/api/me");
      if (!data) throw await errorOf(response, error);
      return data;
    },
    async refresh() {
      const tokens = await storage.get();
      await refreshAfter(tokens?.accessToken);
    },
    tokens: async () => storage.get(),
  };
}
