import { describe, expect, it } from 'vitest'

import { collectionApi, rankingsApi, recommendationsApi, searchApi } from '@/api'

import { mockFetch, pathOf, queryOf } from './helpers'

describe('api module', () => {
  it('reads a missing collection entry as null through the filtered list (no 404 request)', async () => {
    const { calls } = mockFetch(() => ({ body: { count: 0, next: null, previous: null, results: [] } }))
    await expect(collectionApi.get(42)).resolves.toBeNull()
    expect(pathOf(calls[0]?.url ?? '')).toBe('/api/collection/')
    expect(queryOf(calls[0]?.url ?? '').get('anime_id')).toBe('42')
  })

  it('reads a listed collection entry from the filtered list', async () => {
    const entry = { anime: { id: 42 }, status: 'watching', score: 7, is_favorite: false }
    mockFetch(() => ({ body: { count: 1, next: null, previous: null, results: [entry] } }))
    await expect(collectionApi.get(42)).resolves.toEqual(entry)
  })

  it('still fails on other collection errors', async () => {
    mockFetch(() => ({ status: 500, body: { code: 'error', message: 'boom', extra: {} } }))
    await expect(collectionApi.get(42)).rejects.toMatchObject({ status: 500 })
  })

  it('saves a collection change as an idempotent upsert', async () => {
    const { calls } = mockFetch(() => ({ body: { anime: {}, status: '', score: 8, is_favorite: true } }))
    await collectionApi.save(7, { is_favorite: true, score: 8 })
    expect(calls[0]?.method).toBe('POST')
    expect(pathOf(calls[0]?.url ?? '')).toBe('/api/collection/')
    expect(JSON.parse(String(calls[0]?.body))).toEqual({ anime_id: 7, is_favorite: true, score: 8 })
  })

  it('uploads a MAL export as multipart form data and polls the job by id', async () => {
    const { calls } = mockFetch((req) =>
      req.method === 'POST' ? { status: 202, body: { id: 9, status: 'pending' } } : { body: { id: 9, status: 'running' } },
    )
    const file = new File(['<myanimelist/>'], 'animelist.xml', { type: 'text/xml' })
    const job = await collectionApi.startImport(file, 'overwrite')
    const body = calls[0]?.body as FormData
    expect(body).toBeInstanceOf(FormData)
    expect((body.get('file') as File).name).toBe('animelist.xml')
    expect(body.get('on_conflict')).toBe('overwrite')
    expect(calls[0]?.headers['Content-Type']).toBeUndefined()
    await collectionApi.importJob(job.id)
    expect(pathOf(calls[1]?.url ?? '')).toBe('/api/collection/import/9/')
  })

  it('passes ranking filters and search parameters in the query string', async () => {
    const { calls } = mockFetch(() => ({ body: { count: 0, next: null, previous: null, results: [] } }))
    await rankingsApi.list('top', { genre: 'sci-fi', year: 2013, page: 2 })
    expect(pathOf(calls[0]?.url ?? '')).toBe('/api/rankings/top/')
    expect(Object.fromEntries(queryOf(calls[0]?.url ?? ''))).toEqual({ genre: 'sci-fi', year: '2013', page: '2' })

    await searchApi.search({ q: '进击的巨人', sort: 'score' })
    expect(queryOf(calls[1]?.url ?? '').get('q')).toBe('进击的巨人')
    expect(queryOf(calls[1]?.url ?? '').get('sort')).toBe('score')

    await recommendationsApi.notInterested(12)
    expect(pathOf(calls[2]?.url ?? '')).toBe('/api/recommendations/not-interested/')
    expect(JSON.parse(String(calls[2]?.body))).toEqual({ anime_id: 12 })
  })
})
