import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { describe, expect, it, vi } from 'vitest'

import App from '@/App.vue'
import { i18n } from '@/i18n'
import { detectContentLanguage, foreignLanguage } from '@/utils/script'
import AnimeDetailView from '@/views/AnimeDetailView.vue'
import CollectionView from '@/views/CollectionView.vue'
import RegisterView from '@/views/RegisterView.vue'

import { mockFetch, pathOf, queryOf, testRouter } from './helpers'

vi.mock('element-plus', async (importOriginal) => {
  const original = await importOriginal<typeof import('element-plus')>()
  return { ...original, ElMessage: { success: vi.fn(), error: vi.fn() } }
})

async function mountAt(component: object, path: string, props: Record<string, unknown> = {}) {
  const pinia = createPinia()
  setActivePinia(pinia)
  const router = testRouter()
  await router.push(path)
  await router.isReady()
  const wrapper = mount(component, { props, global: { plugins: [i18n, pinia, router] }, attachTo: document.body })
  await flushPromises()
  return { wrapper, router }
}

const value = (wrapper: ReturnType<typeof mount>, selector: string) => (wrapper.find(selector).element as HTMLInputElement).value

describe('language switch on a half-filled login form', () => {
  it('keeps the typed username and password and switches the labels', async () => {
    mockFetch(() => ({ body: { is_authenticated: false } }))
    const { wrapper } = await mountAt(App, '/login')
    await vi.waitFor(() => expect(wrapper.find('#login-username').exists()).toBe(true))
    await wrapper.find('#login-username').setValue('yuki')
    await wrapper.find('#login-password').setValue('half-typed')
    expect(wrapper.find('[data-testid="login-form"]').text()).toContain('Username')

    await wrapper.find('[data-testid="lang-zh-CN"]').trigger('click')
    await flushPromises()

    expect(wrapper.find('[data-testid="login-form"]').text()).toContain('用户名')
    expect(value(wrapper, '#login-username')).toBe('yuki')
    expect(value(wrapper, '#login-password')).toBe('half-typed')
    wrapper.unmount()
  })
})

describe('form validation timing', () => {
  it('does not turn empty fields red when tabbing past them; checks them on submit', async () => {
    mockFetch(() => ({ body: { is_authenticated: false } }))
    const { wrapper } = await mountAt(RegisterView, '/register')
    for (const id of ['#register-username', '#register-password', '#register-password-confirm']) {
      await wrapper.find(id).trigger('focus')
      await wrapper.find(id).trigger('blur')
    }
    await flushPromises()
    expect(wrapper.findAll('.el-form-item.is-error')).toHaveLength(0)
    expect(wrapper.text()).not.toContain('Enter a username.')

    await wrapper.find('form').trigger('submit')
    await flushPromises()
    await vi.waitFor(() => expect(wrapper.findAll('.el-form-item.is-error')).toHaveLength(3))
    wrapper.unmount()
  })

  it('checks a field after input', async () => {
    mockFetch(() => ({ body: { is_authenticated: false } }))
    const { wrapper } = await mountAt(RegisterView, '/register')
    await wrapper.find('#register-username').setValue('ab')
    await wrapper.find('#register-username').trigger('blur')
    await flushPromises()
    await vi.waitFor(() => expect(wrapper.text()).toContain('A username has 3 to 30 characters.'))
    wrapper.unmount()
  })
})

describe('content language', () => {
  it('tells the language from the script', () => {
    expect(detectContentLanguage('人类与巨人的战斗。')).toBe('zh')
    expect(detectContentLanguage('巨人に支配された世界')).toBe('ja')
    expect(detectContentLanguage('Humanity fights the titans.')).toBe('en')
    expect(detectContentLanguage('Okabe 与他的伙伴们发明了能把短信送到过去的机器。')).toBe('zh')
    expect(detectContentLanguage('2013 · 25')).toBeNull()
  })

  it('labels only content in another language than the UI', () => {
    expect(foreignLanguage(['热血', '漫改'], 'en')).toBe('zh')
    expect(foreignLanguage(['热血', '漫改'], 'zh-CN')).toBeNull()
    expect(foreignLanguage('Humanity fights the titans.', 'zh-CN')).toBe('en')
    expect(foreignLanguage('Humanity fights the titans.', 'en')).toBeNull()
  })
})

const detail = (overrides: Record<string, unknown> = {}) => ({
  id: 6280,
  mal_id: 16498,
  title: 'Attack on Titan',
  titles: { main: 'Shingeki no Kyojin', en: 'Attack on Titan', ja: '進撃の巨人', zh_hans: '进击的巨人', zh_hant: '' },
  cover_url: '',
  type: 'TV',
  episodes: 25,
  year: 2013,
  season: 'spring',
  score: 8.5,
  members: 3_000_000,
  genres: ['Action'],
  all_titles: { 'x-jat': [{ text: 'Shingeki no Kyojin', kind: 'main' }] },
  genre_items: [{ name: 'Action', slug: 'action' }],
  tags: ['热血', '漫改'],
  synopsis: '',
  synopsis_zh: '人类与巨人的战斗。',
  aired_from: '2013-04-07',
  aired_to: '2013-09-29',
  official_site: '',
  external_links: [
    { site: 'netflix', name: 'Netflix', external_id: '70299043', url: 'https://www.netflix.com/title/70299043' },
    { site: 'someplace', name: 'someplace', external_id: 'x1', url: null },
  ],
  is_featured: false,
  is_hidden: false,
  ...overrides,
})

describe('AnimeDetailView', () => {
  function backend() {
    return mockFetch((req) => {
      const path = pathOf(req.url)
      if (path === '/api/auth/me/') return { body: { is_authenticated: true, id: 1, username: 'yuki' } }
      if (path === '/api/anime/6280/') return { body: detail() }
      if (path === '/api/anime/6280/similar/') return { body: { results: [], degraded: false, version: null, method: 'content' } }
      if (path === '/api/collection/') return { body: { count: 0, next: null, previous: null, results: [] } }
      return { status: 404, body: { code: 'not_found', message: 'No.', extra: {} } }
    })
  }

  it('asks for the entry of an unlisted anime without a 404 request', async () => {
    const { calls } = backend()
    const pinia = createPinia()
    setActivePinia(pinia)
    const { useAuthStore } = await import('@/stores/auth')
    await useAuthStore().fetchMe()
    const router = testRouter()
    await router.push('/anime/6280')
    const wrapper = mount(AnimeDetailView, { props: { id: 6280 }, global: { plugins: [i18n, pinia, router] } })
    await flushPromises()
    expect(wrapper.find('[data-testid="anime-title"]').text()).toBe('Attack on Titan')
    expect(calls.some((c) => pathOf(c.url).startsWith('/api/collection/6280'))).toBe(false)
    expect(calls.some((c) => pathOf(c.url) === '/api/collection/')).toBe(true)
    expect(wrapper.find('[data-testid="favorite-button"]').text()).toBe('Add to favourites')
    wrapper.unmount()
  })

  it('links streaming ids and labels Chinese-only synopsis and tags on the English site', async () => {
    backend()
    const { wrapper } = await mountAt(AnimeDetailView, '/anime/6280', { id: 6280 })
    const link = wrapper.find('[data-testid="external-link"]')
    expect(link.attributes('href')).toBe('https://www.netflix.com/title/70299043')
    expect(link.text()).toBe('Netflix')
    const labels = wrapper.findAll('[data-testid="content-language"]').map((l) => l.text())
    expect(labels).toEqual(['Chinese', 'Chinese'])
    expect(wrapper.find('[data-testid="synopsis"]').attributes('lang')).toBe('zh-CN')
    wrapper.unmount()

    i18n.global.locale.value = 'zh-CN'
    const zh = await mountAt(AnimeDetailView, '/anime/6280', { id: 6280 })
    expect(zh.wrapper.findAll('[data-testid="content-language"]')).toHaveLength(0)
    zh.wrapper.unmount()
  })
})

describe('AnimeDetailView of an anime that does not exist', () => {
  it('says so, names the tab after it and offers the way home', async () => {
    backendMissing()
    const { wrapper } = await mountAt(AnimeDetailView, '/anime/99999999', { id: 99999999 })
    expect(wrapper.find('[data-testid="not-found"]').text()).toContain('This anime does not exist or is not available.')
    expect(wrapper.find('[data-testid="not-found"] a').attributes('href')).toBe('/')
    expect(document.title).toContain('Page not found')
    wrapper.unmount()
  })

  function backendMissing() {
    return mockFetch((req) => {
      if (pathOf(req.url) === '/api/auth/me/') return { body: { is_authenticated: false } }
      return { status: 404, body: { code: 'not_found', message: 'No.', extra: {} } }
    })
  }
})

describe('CollectionView', () => {
  it('shows the number of entries on every tab', async () => {
    mockFetch((req) => {
      if (pathOf(req.url) === '/api/auth/me/') return { body: { is_authenticated: true, id: 1, username: 'yuki' } }
      return {
        body: {
          count: 0,
          next: null,
          previous: null,
          results: [],
          counts: { all: 5, favorite: 2, want_to_watch: 1, watching: 2, completed: 1, on_hold: 0, dropped: 1 },
        },
      }
    })
    const { wrapper } = await mountAt(CollectionView, '/collection')
    const tabs = wrapper.findAll('.el-tabs__item').map((tab) => tab.text())
    expect(tabs).toEqual(['All (5)', 'Favourites (2)', 'Watching (2)', 'Want to watch (1)', 'Completed (1)', 'On hold (0)', 'Dropped (1)'])
    wrapper.unmount()
  })
})

describe('CollectionView after an edit', () => {
  const card = { id: 7, title: 'Mushishi', cover_url: '', type: 'TV', year: 2005, episodes: 26 }
  const entry = (favourite: boolean) => ({
    anime: card, status: 'completed', score: 9, is_favorite: favourite, episodes_watched: 26, rewatch_count: 0,
    start_date: null, finish_date: null, source: 'site', created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
  })

  function backend(state: { favourite: boolean; deleted: boolean }) {
    return mockFetch((req) => {
      const path = pathOf(req.url)
      if (path === '/api/auth/me/') return { body: { is_authenticated: true, id: 1, username: 'yuki' } }
      if (path === '/api/collection/7/' && req.method === 'DELETE') {
        state.deleted = true
        return { status: 204, body: null }
      }
      if (path === '/api/collection/' && req.method === 'POST') {
        state.favourite = false
        return { body: entry(false) }
      }
      const favourites = state.favourite && !state.deleted ? 1 : 0
      const all = state.deleted ? 0 : 1
      const onTab = queryOf(req.url).get('favorite') === 'true' ? favourites : all
      return {
        body: {
          count: onTab, next: null, previous: null,
          results: onTab && queryOf(req.url).get('page_size') !== '1' ? [entry(state.favourite)] : [],
          counts: { all, favorite: favourites, want_to_watch: 0, watching: 0, completed: all, on_hold: 0, dropped: 0 },
        },
      }
    })
  }

  it('takes an unfavourited entry off the Favourites tab and counts again', async () => {
    backend({ favourite: true, deleted: false })
    const { wrapper } = await mountAt(CollectionView, '/collection?tab=favorites')
    expect(wrapper.findAll('[data-testid="collection-entry"]')).toHaveLength(1)
    expect(wrapper.find('.muted').text()).toBe('1 entry')

    await wrapper.find('[data-testid="entry-favorite"]').trigger('click')
    await flushPromises()

    expect(wrapper.findAll('[data-testid="collection-entry"]')).toHaveLength(0)
    expect(wrapper.text()).not.toContain('1 entry')
    expect(wrapper.findAll('.el-tabs__item').map((tab) => tab.text())).toContain('Favourites (0)')
    wrapper.unmount()
  })

  it('asks before removing an entry, and removes nothing when the user keeps it', async () => {
    const { ElMessageBox } = await import('element-plus')
    const state = { favourite: false, deleted: false }
    const { calls } = backend(state)
    const confirm = vi.spyOn(ElMessageBox, 'confirm').mockRejectedValueOnce('cancel')
    const { wrapper } = await mountAt(CollectionView, '/collection')

    await wrapper.find('[data-testid="entry-remove"]').trigger('click')
    await flushPromises()
    expect(confirm).toHaveBeenCalledOnce()
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false)
    expect(wrapper.findAll('[data-testid="collection-entry"]')).toHaveLength(1)

    confirm.mockResolvedValueOnce('confirm' as never)
    await wrapper.find('[data-testid="entry-remove"]').trigger('click')
    await flushPromises()
    expect(state.deleted).toBe(true)
    expect(wrapper.findAll('[data-testid="collection-entry"]')).toHaveLength(0)
    expect(wrapper.text()).not.toContain('1 entry')
    expect(wrapper.findAll('.el-tabs__item').map((tab) => tab.text())).toContain('All (0)')
    confirm.mockRestore()
    wrapper.unmount()
  })
})

describe('card grid rows', () => {
  it('uses 6, 4, 3 or 2 columns by width, as the stylesheet does', async () => {
    const { gridColumnsFor } = await import('@/composables/useGridColumns')
    expect([1366, 1024, 1023, 768, 720, 719, 481, 480, 390].map(gridColumnsFor)).toEqual([6, 6, 4, 4, 4, 3, 3, 2, 2])
  })

  it('leaves out a partial last row', async () => {
    const { wholeRows } = await import('@/composables/useGridColumns')
    const items = Array.from({ length: 11 }, (_, i) => i)
    expect(wholeRows(items, 6)).toHaveLength(6)
    expect(wholeRows(items, 4)).toHaveLength(8)
    expect(wholeRows(items, 3)).toHaveLength(9)
    expect(wholeRows(items.slice(0, 5), 6)).toHaveLength(5) // fewer than one row: all of them
    expect(wholeRows(Array.from({ length: 12 }, (_, i) => i), 4)).toHaveLength(12)
  })
})
