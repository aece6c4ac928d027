/**
 * The kubelet's token refresh, for token files we write ourselves (`irsa exec`, `irsa up`): a file is re-minted when
 * it is older than 80 % of its lifetime or 24 h (minus a small jitter), or the clock went backwards, and replaced
 * atomically (write to a temporary file in the same directory, then rename). On a failed refresh the old token stays
 * while it is still valid, as the kubelet does.
 * @module
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../lib/atomic-file.js';

/** Tokens are refreshed at the latest this long after issue, whatever their lifetime (kubelet's maxTTL). */
export const MAX_TOKEN_AGE_MS = 24 * 3600 * 1000;
/** Upper bound of the kubelet's refresh jitter. */
export const MAX_REFRESH_JITTER_MS = 10_000;

/** A minted token as the refresher tracks it. */
export interface IssuedToken {
  token: string;
  issuedAt: Date;
  /** `status.expirationTimestamp`: issue time + the requested lifetime. */
  expiresAt: Date;
  /** The requested lifetime (TokenRequest `spec.expirationSeconds`). */
  expirationSeconds: number;
}

/**
 * Jitter for one token: uniform in [0, 10 s), but at most 10 % of a (test-only) very short lifetime.
 * @example
 * refreshJitterMs(3600, Math.random)
 */
export function refreshJitterMs(expirationSeconds: number, random: () => number): number {
  return random() * Math.min(MAX_REFRESH_JITTER_MS, expirationSeconds * 100);
}

/**
 * When the kubelet would replace this token: `min(iat + 24h, exp − 20 % ttl) − jitter`.
 * @example
 * tokenRefreshAt(token, 0).getTime() - token.issuedAt.getTime() // 0.8 × lifetime for lifetimes under 30 h
 */
export function tokenRefreshAt(token: Pick<IssuedToken, 'expiresAt' | 'expirationSeconds'>, jitterMs: number): Date {
  const ttlMs = token.expirationSeconds * 1000;
  const exp = token.expiresAt.getTime();
  const iat = exp - ttlMs;
  return new Date(Math.min(iat + MAX_TOKEN_AGE_MS, exp - 0.2 * ttlMs) - jitterMs);
}

/**
 * The kubelet's `requiresRefresh`: past the refresh time, or the clock is before the issue time.
 * @example
 * tokenNeedsRefresh(token, new Date(), 0)
 */
export function tokenNeedsRefresh(token: Pick<IssuedToken, 'expiresAt' | 'expirationSeconds'>, now: Date, jitterMs: number): boolean {
  const iat = token.expiresAt.getTime() - token.expirationSeconds * 1000;
  return now.getTime() < iat || now.getTime() > tokenRefreshAt(token, jitterMs).getTime();
}

/**
 * Writes a token file atomically: a temporary file in the same directory, then rename over the target.
 * @example
 * await writeTokenFileAtomic('/tmp/irsa-exec-x/aws-iam-token/token', token);
 */
export async function writeTokenFileAtomic(path: string, content: string, mode = 0o600): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, content, mode);
}

/** One token file the refresher keeps fresh. */
export interface TokenFileSpec {
  path: string;
  /** Mints a new token (TokenRequest). */
  mint(): Promise<IssuedToken>;
}

/** Timer functions, injectable for tests (`fn` returns a promise that settles when the refresh round is done). */
export interface RefreshTimers {
  setTimeout(fn: () => Promise<void>, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface TokenRefresherOptions {
  files: readonly TokenFileSpec[];
  now?: () => Date;
  /** Uniform [0, 1) for the jitter. */
  random?: () => number;
  timers?: RefreshTimers;
  writeFile?: (path: string, content: string) => Promise<void>;
  /** Called after each successful write. */
  onRefresh?: (path: string, token: IssuedToken) => void;
  /** Called when a refresh fails (the old token stays while valid). */
  onError?: (path: string, error: unknown) => void;
  /** Re-check at least this often (clock jumps, suspend); default 60 s. */
  maxCheckIntervalMs?: number;
}

/** State of one file, for status output and tests. */
export interface TokenFileState {
  path: string;
  token?: IssuedToken;
  refreshAt?: Date;
  refreshes: number;
}

interface Entry {
  spec: TokenFileSpec;
  state: TokenFileState;
  jitterMs: number;
}

const defaultTimers: RefreshTimers = {
  setTimeout: (fn, ms) => {
    const handle = setTimeout(() => void fn(), ms);
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Keeps token files fresh like the kubelet keeps projected volumes.
 * @example
 * const refresher = new TokenRefresher({ files: [{ path, mint: () => mintServiceAccountToken(opts) }] });
 * await refresher.start(); // files written
 * // … await refresher.stop();
 */
export class TokenRefresher {
  readonly #entries: Entry[];
  readonly #now: () => Date;
  readonly #random: () => number;
  readonly #timers: RefreshTimers;
  readonly #writeFile: (path: string, content: string) => Promise<void>;
  readonly #options: TokenRefresherOptions;
  #timer: unknown = undefined;
  #running: Promise<void> | undefined = undefined;
  #stopped = false;

  constructor(options: TokenRefresherOptions) {
    this.#options = options;
    this.#entries = options.files.map((spec) => ({ spec, state: { path: spec.path, refreshes: 0 }, jitterMs: 0 }));
    this.#now = options.now ?? (() => new Date());
    this.#random = options.random ?? Math.random;
    this.#timers = options.timers ?? defaultTimers;
    this.#writeFile = options.writeFile ?? ((path, content) => writeTokenFileAtomic(path, content));
  }

  /** Mints and writes every file (errors propagate: there is no old token to keep), then schedules refreshes. */
  async start(): Promise<void> {
    for (const entry of this.#entries) await this.#refresh(entry);
    this.#schedule();
  }

  /** Refreshes the files that are due now; safe to call at any time (calls do not overlap). */
  async refreshDue(): Promise<void> {
    if (this.#running) return this.#running;
    const run = this.#refreshDueNow();
    this.#running = run;
    try {
      await run;
    } finally {
      if (this.#running === run) this.#running = undefined;
    }
  }

  async #refreshDueNow(): Promise<void> {
    const now = this.#now();
    for (const entry of this.#entries) {
      if (this.#stopped) return;
      const token = entry.state.token;
      if (token && !tokenNeedsRefresh(token, now, entry.jitterMs)) continue;
      try {
        await this.#refresh(entry);
      } catch (error) {
        this.#options.onError?.(entry.spec.path, error);
      }
    }
  }

  /**
   * Stops refreshing and waits for a refresh in progress to settle: nothing is written once the promise resolves, so
   * the caller may remove the directory (files written before are left in place).
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => {}); // its errors went to onError (or to the caller of refreshDue)
  }

  /** Current state of every file. */
  states(): TokenFileState[] {
    return this.#entries.map((e) => ({ ...e.state }));
  }

  async #refresh(entry: Entry): Promise<void> {
    const token = await entry.spec.mint();
    if (this.#stopped) return; // stopped while minting: the caller may be removing the directory
    await this.#writeFile(entry.spec.path, token.token);
    entry.jitterMs = refreshJitterMs(token.expirationSeconds, this.#random);
    entry.state.token = token;
    entry.state.refreshAt = tokenRefreshAt(token, entry.jitterMs);
    entry.state.refreshes += 1;
    this.#options.onRefresh?.(entry.spec.path, token);
  }

  #schedule(): void {
    if (this.#stopped) return;
    const now = this.#now().getTime();
    let next = now + (this.#options.maxCheckIntervalMs ?? 60_000);
    for (const entry of this.#entries) {
      const at = entry.state.refreshAt?.getTime();
      // a failed refresh leaves refreshAt in the past: retry after a second rather than spinning
      if (at !== undefined) next = Math.min(next, Math.max(at + 1, now + (at <= now ? 1000 : 0)));
    }
    this.#timer = this.#timers.setTimeout(
      () => this.refreshDue().catch((error: unknown) => this.#options.onError?.('', error)).finally(() => this.#schedule()),
      Math.max(0, next - now),
    );
  }
}
