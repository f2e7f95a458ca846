import { createPinia, setActivePinia } from 'pinia'
import { vi } from 'vitest'
import { createMemoryHistory, createRouter, type Router } from 'vue-router'

import { i18n, type AppLocale } from '@/i18n'
import { routes } from '@/router'

export interface FakeResponse {
  status?: number
  body?: unknown
}

export interface RecordedRequest {
  url: string
  method: string
  headers: Record<string, string>
  body: unknown
}

/** Replaces fetch with a handler keyed by "METHOD /path" (query ignored); records every call. */
export function mockFetch(handler: (req: RecordedRequest) => FakeResponse | Promise<FakeResponse>) {
  const calls: RecordedRequest[] = []
  const fn = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const req: RecordedRequest = {
      url: String(input),
      method: init.method ?? 'GET',
      headers: { ...((init.headers as Record<string, string>) ?? {}) },
      body: init.body,
    }
    calls.push(req)
    const res = await handler(req)
    const status = res.status ?? 200
    const text = res.body === undefined ? '' : JSON.stringify(res.body)
    return new Response(status === 204 ? null : text, { status, headers: { 'Content-Type': 'application/json' } })
  })
  vi.stubGlobal('fetch', fn)
  return { fn, calls }
}

export function setLocale(locale: AppLocale): void {
  i18n.global.locale.value = locale
}

export function freshPinia(): void {
  setActivePinia(createPinia())
}

export function testRouter(): Router {
  return createRouter({ history: createMemoryHistory(), routes })
}

export function pathOf(url: string): string {
  return new URL(url, 'http://localhost').pathname
}

export function queryOf(url: string): URLSearchParams {
  return new URL(url, 'http://localhost').searchParams
}
