import { describe, expect, it } from 'vitest'

import { genreSlug } from '@/constants/catalog'
import { genreKey, intParam } from '@/utils/format'
import { safeHighlight } from '@/utils/highlight'
import { confirmProblem, passwordProblem, usernameProblem } from '@/utils/validation'

describe('safeHighlight', () => {
  it('keeps <em> and escapes everything else', () => {
    expect(safeHighlight('<em>進撃</em>の巨人')).toBe('<em>進撃</em>の巨人')
    expect(safeHighlight('<img src=x onerror=alert(1)><em>a</em>')).toBe('&lt;img src=x onerror=alert(1)&gt;<em>a</em>')
    expect(safeHighlight('<script>alert(1)</script>')).toBe('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(safeHighlight('<em class="x">a</em>')).toBe('&lt;em class=&quot;x&quot;&gt;a')
    expect(safeHighlight('Tom & "Jerry"')).toBe('Tom &amp; &quot;Jerry&quot;')
  })

  it('balances cut fragments', () => {
    expect(safeHighlight('a</em> <em>b')).toBe('a <em>b</em>')
  })
})

describe('account rules (mirroring the server)', () => {
  it('checks usernames', () => {
    expect(usernameProblem('')).toBe('required')
    expect(usernameProblem('ab')).toBe('length')
    expect(usernameProblem('a'.repeat(31))).toBe('length')
    expect(usernameProblem('bad name')).toBe('chars')
    expect(usernameProblem('bad@name')).toBe('chars')
    expect(usernameProblem('good_name-1')).toBeNull()
    expect(usernameProblem('进击的巨人')).toBeNull()
  })

  it('checks passwords and the confirmation', () => {
    expect(passwordProblem('')).toBe('required')
    expect(passwordProblem('short1')).toBe('length')
    expect(passwordProblem('12345678')).toBe('numeric')
    expect(passwordProblem('titan-2013')).toBeNull()
    expect(confirmProblem('titan-2013', '')).toBe('required')
    expect(confirmProblem('titan-2013', 'titan-2014')).toBe('mismatch')
    expect(confirmProblem('titan-2013', 'titan-2013')).toBeNull()
  })
})

describe('catalogue helpers', () => {
  it('derives the same genre slugs and keys as the backend and the locale files', () => {
    expect(genreSlug('Slice of Life')).toBe('slice-of-life')
    expect(genreSlug('Sci-Fi')).toBe('sci-fi')
    expect(genreKey('Sci-Fi')).toBe('sci_fi')
    expect(genreKey('martial-arts')).toBe('martial_arts')
  })

  it('reads integer query parameters strictly', () => {
    expect(intParam('3')).toBe(3)
    expect(intParam(['7', '8'])).toBe(7)
    expect(intParam('3x')).toBeUndefined()
    expect(intParam(undefined)).toBeUndefined()
  })
})

describe('scrollFor', () => {
  const at = (path: string, query: Record<string, string> = {}) => ({ path, query })

  it('starts a new page of a list at the top, keeps the place for a filter or tab', async () => {
    const { scrollFor } = await import('@/router')
    expect(scrollFor(at('/search', { q: 'naruto', page: '2' }), at('/search', { q: 'naruto' }), null)).toEqual({ top: 0 })
    expect(scrollFor(at('/search', { q: 'naruto' }), at('/search', { q: 'naruto', page: '3' }), null)).toEqual({ top: 0 })
    expect(scrollFor(at('/search', { q: 'naruto', page: '1' }), at('/search', { q: 'naruto' }), null)).toBe(false)
    expect(scrollFor(at('/search', { q: 'naruto', type: 'TV' }), at('/search', { q: 'naruto' }), null)).toBe(false)
    expect(scrollFor(at('/anime/2'), at('/search'), null)).toEqual({ top: 0 })
    expect(scrollFor(at('/search', { page: '2' }), at('/search'), { left: 0, top: 900 })).toEqual({ left: 0, top: 900 })
  })
})

describe('genre filters', () => {
  it('do not offer the genre of the hidden adult titles', async () => {
    const { GENRES, LISTED_GENRES } = await import('@/constants/catalog')
    expect(LISTED_GENRES).not.toContain('Hentai')
    expect(LISTED_GENRES).toContain('Yuri')
    expect(LISTED_GENRES).toHaveLength(GENRES.length - 1)
  })
})
