import { flushPromises, mount } from '@vue/test-utils'
import { ElMessageBox } from 'element-plus'
import { afterEach, describe, expect, it, vi } from 'vitest'

import type { CollectionEntry, CollectionStatistics } from '@/api/types'
import EpisodeProgress from '@/components/EpisodeProgress.vue'
import { i18n } from '@/i18n'
import { genreChart, scoreChart, statusChart } from '@/utils/statsCharts'

import { mockFetch, pathOf, setLocale } from './helpers'

const global = { plugins: [i18n] }

function entry(values: Partial<CollectionEntry> = {}): CollectionEntry {
  return {
    anime: { id: 7 } as CollectionEntry['anime'],
    status: 'watching',
    score: null,
    is_favorite: false,
    episodes_watched: 0,
    rewatch_count: 0,
    start_date: null,
    finish_date: null,
    source: 'site',
    created_at: '2026-11-01T00:00:00Z',
    updated_at: '2026-11-01T00:00:00Z',
    ...values,
  }
}

afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllGlobals()
  setLocale('en')
})

describe('EpisodeProgress', () => {
  it('shows watched of total and posts +1, emitting the new entry', async () => {
    setLocale('en')
    const { calls } = mockFetch(() => ({ body: { ...entry({ episodes_watched: 8 }), offer_complete: false } }))
    const wrapper = mount(EpisodeProgress, { props: { animeId: 7, episodes: 24, entry: entry({ episodes_watched: 7 }) }, global })
    expect(wrapper.find('[data-testid="episode-count"]').text()).toBe('7 / 24 ep')

    await wrapper.find('[data-testid="episode-plus-one"]').trigger('click')
    await flushPromises()

    expect(calls.map((c) => [c.method, pathOf(c.url)])).toEqual([['POST', '/api/collection/7/progress/']])
    const emitted = wrapper.emitted('update') as CollectionEntry[][]
    expect(emitted[0]?.[0]?.episodes_watched).toBe(8)
    expect('offer_complete' in (emitted[0]?.[0] ?? {})).toBe(false)
  })

  it('offers completion at the last episode and marks the entry completed when accepted', async () => {
    const confirm = vi.spyOn(ElMessageBox, 'confirm').mockResolvedValue('confirm' as never)
    const { calls } = mockFetch((req) =>
      pathOf(req.url).endsWith('/progress/')
        ? { body: { ...entry({ episodes_watched: 24 }), offer_complete: true } }
        : { body: entry({ episodes_watched: 24, status: 'completed' }) },
    )
    const wrapper = mount(EpisodeProgress, { props: { animeId: 7, episodes: 24, entry: entry({ episodes_watched: 23 }) }, global })

    await wrapper.find('[data-testid="episode-plus-one"]').trigger('click')
    await flushPromises()

    expect(confirm).toHaveBeenCalledOnce()
    expect(calls.map((c) => [c.method, pathOf(c.url)])).toEqual([
      ['POST', '/api/collection/7/progress/'],
      ['POST', '/api/collection/'],
    ])
    expect(JSON.parse(String(calls[1]?.body))).toEqual({ anime_id: 7, status: 'completed' })
    const emitted = wrapper.emitted('update') as CollectionEntry[][]
    expect(emitted.at(-1)?.[0]?.status).toBe('completed')
  })

  it('keeps the entry as it is when completion is declined', async () => {
    vi.spyOn(ElMessageBox, 'confirm').mockRejectedValue('cancel')
    const { calls } = mockFetch(() => ({ body: { ...entry({ episodes_watched: 2 }), offer_complete: true } }))
    const wrapper = mount(EpisodeProgress, { props: { animeId: 7, episodes: 2, entry: entry({ episodes_watched: 1 }) }, global })

    await wrapper.find('[data-testid="episode-plus-one"]').trigger('click')
    await flushPromises()

    expect(calls).toHaveLength(1)
  })

  it('speaks Chinese in the Chinese UI', () => {
    setLocale('zh-CN')
    const wrapper = mount(EpisodeProgress, { props: { animeId: 7, episodes: null, entry: entry({ episodes_watched: 3 }) }, global })
    expect(wrapper.find('[data-testid="episode-count"]').text()).toBe('3 集')
  })
})

describe('statistics charts', () => {
  const stats: CollectionStatistics = {
    total: 4,
    favorites: 1,
    scored: 3,
    mean_score: 8.33,
    statuses: [
      { status: 'watching', count: 1 },
      { status: 'completed', count: 3 },
      { status: 'on_hold', count: 0 },
    ],
    scores: Array.from({ length: 10 }, (_, i) => ({ score: i + 1, count: i === 8 ? 2 : i === 6 ? 1 : 0 })),
    genres: [
      { name: 'Action', slug: 'action', count: 3, mean_score: 9 },
      { name: 'Drama', slug: 'drama', count: 1, mean_score: 7 },
    ],
    types: [],
    episodes: 50,
    minutes: 1282,
    days: 0.9,
    minutes_per_episode: { TV: 24 },
  }

  it('leaves unused statuses out of the doughnut and labels the rest', () => {
    const option = statusChart(stats, (s) => s.toUpperCase())
    const series = option.series as { data: { name: string; value: number }[] }[]
    expect(series[0]?.data.map((d) => [d.name, d.value])).toEqual([
      ['WATCHING', 1],
      ['COMPLETED', 3],
    ])
  })

  it('charts every score from 1 to 10', () => {
    const option = scoreChart(stats, 'Anime')
    const series = option.series as { data: number[] }[]
    expect(series[0]?.data).toEqual([0, 0, 0, 0, 0, 0, 1, 0, 2, 0])
  })

  it('puts the most listed genre on top with translated names', () => {
    const option = genreChart(stats, (g) => (g === 'Action' ? '动作' : g))
    const axis = option.yAxis as { data: string[] }
    expect(axis.data).toEqual(['Drama', '动作'])
  })
})
