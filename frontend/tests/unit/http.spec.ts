import { describe, expect, it } from 'vitest'

import { ApiError, buildUrl, readCookie, request } from '@/api/http'
import { i18n } from '@/i18n'

import { mockFetch } from './helpers'

describe('buildUrl', () => {
  it('drops empty values and repeats arrays', () => {
    expect(buildUrl('/api/x/', { q: '進撃', page: 2, genre: '', year: undefined, type: null, ids: [1, 2] })).toBe(
      '/api/x/?q=%E9%80%B2%E6%92%83&page=2&ids=1&ids=2',
    )
    expect(buildUrl('/api/x/', {})).toBe('/api/x/')
  })
})

describe('request', () => {
  it('sends the UI language and no CSRF header on GET', async () => {
    document.cookie = 'csrftoken=tok123; path=/'
    i18n.global.locale.value = 'zh-CN'
    const { calls } = mockFetch(() => ({ body: { ok: true } }))
    const data = await request<{ ok: boolean }>('GET', '/api/home/')
    expect(data).toEqual({ ok: true })
    expect(calls[0]?.headers['Accept-Language']).toBe('zh-CN')
    expect(calls[0]?.headers['X-CSRFToken']).toBeUndefined()
  })

  it('sends the CSRF token and a JSON body on unsafe methods', async () => {
    document.cookie = 'csrftoken=tok123; path=/'
    const { calls } = mockFetch(() => ({ status: 201, body: { anime_id: 5 } }))
    await request('POST', '/api/recommendations/not-interested/', { json: { anime_id: 5 } })
    expect(calls[0]?.method).toBe('POST')
    expect(calls[0]?.headers['X-CSRFToken']).toBe('tok123')
    expect(calls[0]?.headers['Content-Type']).toBe('application/json')
    expect(JSON.parse(String(calls[0]?.body))).toEqual({ anime_id: 5 })
    expect(readCookie('csrftoken')).toBe('tok123')
  })

  it('turns the error body into an ApiError with field messages', async () => {
    mockFetch(() => ({
      status: 400,
      body: { code: 'invalid', message: 'Invalid input.', extra: { fields: { username: ['Taken.'], password: ['Too short.'] } } },
    }))
    const err = await request('POST', '/api/auth/register/', { json: {} }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    const apiError = err as ApiError
    expect(apiError.status).toBe(400)
    expect(apiError.code).toBe('invalid')
    expect(apiError.fieldErrors).toEqual({ username: 'Taken.', password: 'Too short.' })
  })

  it('reports a non-JSON failure with its status', async () => {
    const fn = async () => new Response('<html>Bad gateway</html>', { status: 502 })
    globalThis.fetch = fn as typeof fetch
    const err = (await request('GET', '/api/home/').catch((e: unknown) => e)) as ApiError
    expect(err.status).toBe(502)
    expect(err.code).toBe('http_502')
  })

  it('reports a network failure as status 0', async () => {
    const fn = async () => {
      throw new TypeError('Failed to fetch')
    }
    globalThis.fetch = fn as typeof fetch
    const err = (await request('GET', '/api/home/').catch((e: unknown) => e)) as ApiError
    expect(err.isNetworkError).toBe(true)
    expect(err.code).toBe('network_error')
  })

  it('returns undefined for 204', async () => {
    mockFetch(() => ({ status: 204 }))
    await expect(request('DELETE', '/api/collection/3/')).resolves.toBeUndefined()
  })
})
