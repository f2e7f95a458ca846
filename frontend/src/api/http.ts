/**
 * The one HTTP client of the app: same-origin session cookies, the CSRF header on unsafe methods,
 * the UI language as Accept-Language, and every failure turned into an {@link ApiError}.
 */

export interface ApiErrorBody {
  code: string
  message: string
  extra: Record<string, unknown>
}

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly extra: Record<string, unknown>

  constructor(status: number, body: ApiErrorBody) {
    super(body.message)
    this.name = 'ApiError'
    this.status = status
    this.code = body.code
    this.extra = body.extra
  }

  /** Field errors of a 400 (`extra.fields`), one message per field. */
  get fieldErrors(): Record<string, string> {
    const fields = this.extra.fields
    const out: Record<string, string> = {}
    if (fields && typeof fields === 'object') {
      for (const [name, value] of Object.entries(fields as Record<string, unknown>)) {
        const first = Array.isArray(value) ? value[0] : value
        if (first !== undefined && first !== null) out[name] = String(first)
      }
    }
    return out
  }

  get isNetworkError(): boolean {
    return this.status === 0
  }
}

export type QueryValue = string | number | boolean | null | undefined | Array<string | number>
export type Query = Record<string, QueryValue>

export interface RequestOptions {
  query?: Query
  json?: unknown
  form?: FormData
  signal?: AbortSignal
}

let languageProvider: () => string = () => 'en'

/** The language sent as Accept-Language; the i18n setup registers the current UI locale here. */
export function setLanguageProvider(provider: () => string): void {
  languageProvider = provider
}

export function readCookie(name: string): string | null {
  if (typeof document === 'undefined') return null
  for (const part of document.cookie.split(';')) {
    const [key, ...rest] = part.trim().split('=')
    if (key === name) return decodeURIComponent(rest.join('='))
  }
  return null
}

export function buildUrl(path: string, query?: Query): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === '') continue
    if (Array.isArray(value)) {
      for (const item of value) params.append(key, String(item))
    } else {
      params.append(key, String(value))
    }
  }
  const qs = params.toString()
  return qs ? `${path}?${qs}` : path
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'Accept-Language': languageProvider(),
  }
  let body: BodyInit | undefined
  if (options.form) {
    body = options.form
  } else if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(options.json)
  }
  if (!SAFE_METHODS.has(method)) {
    const token = readCookie('csrftoken')
    if (token) headers['X-CSRFToken'] = token
  }

  let response: Response
  try {
    response = await fetch(buildUrl(path, options.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: options.signal,
    })
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err
    throw new ApiError(0, { code: 'network_error', message: String(err), extra: {} })
  }

  if (response.status === 204) return undefined as T
  const text = await response.text()
  let data: unknown = undefined
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = undefined
    }
  }
  if (!response.ok) {
    throw new ApiError(response.status, toErrorBody(response.status, data))
  }
  if (data === undefined && text) {
    throw new ApiError(response.status, { code: 'bad_response', message: 'The server answered with something other than JSON.', extra: {} })
  }
  return data as T
}

function toErrorBody(status: number, data: unknown): ApiErrorBody {
  if (data && typeof data === 'object') {
    const obj = data as Record<string, unknown>
    if (typeof obj.code === 'string' || typeof obj.message === 'string') {
      return {
        code: typeof obj.code === 'string' ? obj.code : `http_${status}`,
        message: typeof obj.message === 'string' ? obj.message : '',
        extra: obj.extra && typeof obj.extra === 'object' ? (obj.extra as Record<string, unknown>) : {},
      }
    }
  }
  return { code: `http_${status}`, message: '', extra: {} }
}

export const http = {
  get: <T>(path: string, options?: RequestOptions) => request<T>('GET', path, options),
  post: <T>(path: string, options?: RequestOptions) => request<T>('POST', path, options),
  put: <T>(path: string, options?: RequestOptions) => request<T>('PUT', path, options),
  patch: <T>(path: string, options?: RequestOptions) => request<T>('PATCH', path, options),
  delete: <T>(path: string, options?: RequestOptions) => request<T>('DELETE', path, options),
}
