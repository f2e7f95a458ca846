/**
 * Typeahead requests that never make the user wait on a superseded keystroke:
 *
 * - a caller passes an AbortSignal per keystroke; aborting it rejects that caller at once;
 * - requests for the same query are coalesced: callers share one request, which is cancelled
 *   only when every caller has given up on it;
 * - answers are remembered (LRU, `maxEntries`, `ttlMs`), so backspacing or retyping a prefix
 *   answers from memory without a request.
 *
 * Queries are compared normalised (NFKC, trimmed, inner spaces collapsed, lower case), the way
 * the search server compares them.
 */

export interface SuggestClientOptions<T> {
  /** The request itself; it must stop when `signal` aborts. */
  fetch: (q: string, signal: AbortSignal) => Promise<T>
  /** How many answers are remembered (least recently used ones go first). */
  maxEntries?: number
  /** How long an answer is reused, in milliseconds. */
  ttlMs?: number
  /** Whether an answer may be remembered (e.g. not a degraded one). */
  cacheable?: (value: T) => boolean
  now?: () => number
}

export interface SuggestClient<T> {
  /** The answer for `q`: from memory, from a request already under way, or from a new one. */
  get: (q: string, signal?: AbortSignal) => Promise<T>
  /** The remembered answer for `q`, without any request. */
  peek: (q: string) => T | undefined
  /** Requests under way (for tests and diagnostics). */
  readonly inFlight: number
  clear: () => void
}

export function normalizeQuery(q: string): string {
  return q.normalize('NFKC').trim().replace(/\s+/gu, ' ').toLowerCase()
}

function abortError(): DOMException {
  return new DOMException('The request was superseded.', 'AbortError')
}

interface Pending<T> {
  promise: Promise<T>
  controller: AbortController
  waiters: number
}

export function createSuggestClient<T>(options: SuggestClientOptions<T>): SuggestClient<T> {
  const maxEntries = options.maxEntries ?? 100
  const ttlMs = options.ttlMs ?? 60_000
  const now = options.now ?? (() => Date.now())
  const cacheable = options.cacheable ?? (() => true)
  const cache = new Map<string, { value: T; at: number }>()
  const pending = new Map<string, Pending<T>>()

  function peek(q: string): T | undefined {
    const key = normalizeQuery(q)
    const hit = cache.get(key)
    if (!hit) return undefined
    if (now() - hit.at > ttlMs) {
      cache.delete(key)
      return undefined
    }
    cache.delete(key) // most recently used goes last
    cache.set(key, hit)
    return hit.value
  }

  function remember(key: string, value: T): void {
    if (!cacheable(value)) return
    cache.delete(key)
    cache.set(key, { value, at: now() })
    while (cache.size > maxEntries) {
      const oldest = cache.keys().next().value
      if (oldest === undefined) break
      cache.delete(oldest)
    }
  }

  function start(key: string, q: string): Pending<T> {
    const controller = new AbortController()
    const entry: Pending<T> = { controller, waiters: 0, promise: Promise.resolve() as Promise<T> }
    entry.promise = options.fetch(q, controller.signal).then(
      (value) => {
        if (pending.get(key) === entry) pending.delete(key)
        remember(key, value)
        return value
      },
      (err: unknown) => {
        if (pending.get(key) === entry) pending.delete(key)
        throw err
      },
    )
    // Every waiter handles the outcome; this keeps a request nobody waits for any more quiet.
    entry.promise.catch(() => undefined)
    pending.set(key, entry)
    return entry
  }

  function get(q: string, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortError())
    const cached = peek(q)
    if (cached !== undefined) return Promise.resolve(cached)
    const key = normalizeQuery(q)
    const entry = pending.get(key) ?? start(key, q)
    entry.waiters += 1
    return new Promise<T>((resolve, reject) => {
      let settled = false
      const leave = (): boolean => {
        if (settled) return false
        settled = true
        entry.waiters -= 1
        signal?.removeEventListener('abort', onAbort)
        return true
      }
      function onAbort(): void {
        if (!leave()) return
        if (entry.waiters === 0) {
          if (pending.get(key) === entry) pending.delete(key)
          entry.controller.abort()
        }
        reject(abortError())
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      entry.promise.then(
        (value) => {
          if (leave()) resolve(value)
        },
        (err: unknown) => {
          if (leave()) reject(err)
        },
      )
    })
  }

  return {
    get,
    peek,
    get inFlight() {
      return pending.size
    },
    clear() {
      cache.clear()
    },
  }
}
