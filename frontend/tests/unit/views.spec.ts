import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'

import { i18n } from '@/i18n'
import LoginView from '@/views/LoginView.vue'
import OnboardingView from '@/views/OnboardingView.vue'
import RecommendationsView from '@/views/RecommendationsView.vue'
import RegisterView from '@/views/RegisterView.vue'
import SearchView from '@/views/SearchView.vue'

import { mockFetch, pathOf, queryOf, testRouter } from './helpers'

const messageBox = vi.hoisted(() => ({ alert: vi.fn() }))
const message = vi.hoisted(() => ({ success: vi.fn(), error: vi.fn() }))

vi.mock('element-plus', async (importOriginal) => {
  const original = await importOriginal<typeof import('element-plus')>()
  return { ...original, ElMessageBox: messageBox, ElMessage: message }
})

async function mountView(component: object, path: string) {
  const pinia = createPinia()
  setActivePinia(pinia)
  const router = testRouter()
  await router.push(path)
  await router.isReady()
  const wrapper = mount(component, { global: { plugins: [i18n, pinia, router] }, attachTo: document.body })
  await flushPromises()
  return { wrapper, router }
}

async function fill(wrapper: ReturnType<typeof mount>, selector: string, value: string) {
  const input = wrapper.find(selector)
  await input.setValue(value)
  await input.trigger('blur')
}

const card = (id: number, title: string) => ({
  id,
  mal_id: id + 1000,
  title,
  titles: { main: title, en: '', ja: '', zh_hans: '', zh_hant: '' },
  cover_url: '',
  type: 'TV',
  episodes: 12,
  year: 2013,
  season: 'spring',
  score: 8.1,
  members: 1000,
  genres: ['Action'],
})

beforeEach(() => {
  messageBox.alert.mockReset()
  message.success.mockReset()
  message.error.mockReset()
})

describe('LoginView', () => {
  function backend(loginStatus: number) {
    return mockFetch((req) => {
      if (pathOf(req.url) === '/api/auth/me/') return { body: { is_authenticated: false } }
      if (loginStatus === 400) {
        return { status: 400, body: { code: 'invalid_credentials', message: 'x', extra: {} } }
      }
      return { body: { is_authenticated: true, id: 1, username: 'yuki' } }
    })
  }

  for (const [locale, text] of [
    ['zh-CN', '校验失败，用户名或密码错误！'],
    ['en', 'Invalid username or password'],
  ] as const) {
    it(`shows the wrong-credentials dialog in ${locale} and returns to the form`, async () => {
      i18n.global.locale.value = locale
      backend(400)
      messageBox.alert.mockResolvedValue('confirm')
      const { wrapper, router } = await mountView(LoginView, '/login')
      await fill(wrapper, '#login-username', 'yuki')
      await fill(wrapper, '#login-password', 'wrong-password')
      await wrapper.find('form').trigger('submit')
      await flushPromises()
      expect(messageBox.alert).toHaveBeenCalledTimes(1)
      expect(messageBox.alert.mock.calls[0]?.[0]).toBe(text)
      expect(router.currentRoute.value.name).toBe('login')
      expect((wrapper.find('#login-password').element as HTMLInputElement).value).toBe('')
      expect((wrapper.find('#login-username').element as HTMLInputElement).value).toBe('yuki')
      await flushPromises()
      // emptied by the page, not by the user: not marked as an error
      expect(wrapper.findAll('.el-form-item.is-error')).toHaveLength(0)
      wrapper.unmount()
    })
  }

  it('logs in and follows a same-site next path only', async () => {
    backend(200)
    const { wrapper, router } = await mountView(LoginView, '/login?next=/collection')
    await fill(wrapper, '#login-username', 'yuki')
    await fill(wrapper, '#login-password', 'right-password')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/collection'))
    expect(messageBox.alert).not.toHaveBeenCalled()
    wrapper.unmount()
  })

  it('does not send the form when a field is empty', async () => {
    const { calls } = backend(200)
    const { wrapper } = await mountView(LoginView, '/login')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(calls.filter((c) => pathOf(c.url) === '/api/auth/login/')).toHaveLength(0)
    await vi.waitFor(() => expect(wrapper.text()).toContain('Enter a username.'))
    wrapper.unmount()
  })
})

describe('RegisterView', () => {
  it('checks the rules in the browser before sending anything', async () => {
    const { calls } = mockFetch(() => ({ body: { is_authenticated: false } }))
    const { wrapper } = await mountView(RegisterView, '/register')
    await fill(wrapper, '#register-username', 'ab')
    await fill(wrapper, '#register-password', '12345678')
    await fill(wrapper, '#register-password-confirm', '1234567')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    await vi.waitFor(() => expect(wrapper.text()).toContain('A username has 3 to 30 characters.'))
    const text = wrapper.text()
    expect(text).toContain('A password cannot be only digits.')
    expect(text).toContain('The two passwords do not match.')
    expect(calls.filter((c) => pathOf(c.url) === '/api/auth/register/')).toHaveLength(0)
    wrapper.unmount()
  })

  it('shows the server field errors next to the fields, then goes to onboarding on success', async () => {
    let attempt = 0
    mockFetch((req) => {
      if (pathOf(req.url) === '/api/auth/me/') return { body: { is_authenticated: false } }
      attempt += 1
      if (attempt === 1) {
        return { status: 400, body: { code: 'invalid', message: 'Invalid input.', extra: { fields: { username: ['This username is already taken.'] } } } }
      }
      return { status: 201, body: { is_authenticated: true, id: 5, username: 'new_fan' } }
    })
    const { wrapper, router } = await mountView(RegisterView, '/register')
    await fill(wrapper, '#register-username', 'taken_name')
    await fill(wrapper, '#register-password', 'titan-2013!')
    await fill(wrapper, '#register-password-confirm', 'titan-2013!')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    await vi.waitFor(() => expect(wrapper.text()).toContain('This username is already taken.'))
    await fill(wrapper, '#register-username', 'new_fan')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('onboarding'))
    wrapper.unmount()
  })
})

describe('RecommendationsView', () => {
  it('removes an item at once on "not interested" and puts it back if the server refuses', async () => {
    let refuse = false
    const { calls } = mockFetch((req) => {
      const path = pathOf(req.url)
      if (path === '/api/auth/me/') return { body: { is_authenticated: true, id: 1, username: 'yuki' } }
      if (path === '/api/recommendations/not-interested/') {
        return refuse ? { status: 500, body: { code: 'error', message: '', extra: {} } } : { status: 201, body: { anime_id: 2 } }
      }
      return {
        body: {
          degraded: false,
          version: 'v1',
          results: [
            { ...card(1, 'Mushishi'), reason: { code: 'because_you_liked', anime_id: 9, title: 'Natsume' }, reason_text: '', channel: 'annoy' },
            { ...card(2, 'Monster'), reason: { code: 'popular_in_genre', genre: 'Mystery' }, reason_text: '', channel: 'popular' },
          ],
        },
      }
    })
    const pinia = createPinia()
    setActivePinia(pinia)
    const router = testRouter()
    await router.push('/recommendations')
    const { useAuthStore } = await import('@/stores/auth')
    await useAuthStore().fetchMe()
    const wrapper = mount(RecommendationsView, { global: { plugins: [i18n, pinia, router] } })
    await flushPromises()

    const reasons = wrapper.findAll('[data-testid="reason"]').map((r) => r.text())
    expect(reasons).toEqual(['Because you liked Natsume', 'Popular in Mystery'])

    await wrapper.findAll('[data-testid="not-interested"]')[1]?.trigger('click')
    expect(wrapper.findAll('[data-testid="recommendation"]').map((r) => r.attributes('data-anime-id'))).toEqual(['1'])
    await flushPromises()
    expect(JSON.parse(String(calls.at(-1)?.body))).toEqual({ anime_id: 2 })

    refuse = true
    await wrapper.findAll('[data-testid="not-interested"]')[0]?.trigger('click')
    await flushPromises()
    expect(wrapper.findAll('[data-testid="recommendation"]').map((r) => r.attributes('data-anime-id'))).toEqual(['1'])
    expect(message.error).toHaveBeenCalled()
  })
})

describe('SearchView', () => {
  it('searches what the URL says and shows the degraded notice', async () => {
    const { calls } = mockFetch((req) => {
      if (pathOf(req.url) === '/api/auth/me/') return { body: { is_authenticated: false } }
      return {
        body: {
          count: 1,
          next: null,
          previous: null,
          degraded: true,
          facets: { genre: [{ value: 'action', name: 'Action', count: 1 }], type: [], year: [], season: [] },
          results: [{ ...card(6280, '进击的巨人'), highlight: { titles: ['<em>进击</em>的巨人'] } }],
        },
      }
    })
    const { wrapper } = await mountView(SearchView, '/search?q=%E8%BF%9B%E5%87%BB&genre=action&page=2')
    const searchCall = calls.find((c) => pathOf(c.url) === '/api/search/')
    const query = queryOf(searchCall?.url ?? '')
    expect(query.get('q')).toBe('进击')
    expect(query.get('genre')).toBe('action')
    expect(query.get('page')).toBe('2')
    expect(wrapper.find('[data-testid="search-degraded"]').exists()).toBe(true)
    expect(wrapper.find('.result-title em').text()).toBe('进击')
    wrapper.unmount()
  })
})

describe('SearchView facets', () => {
  it('asks for facet counts only when the words or filters change, and keeps them while paging', async () => {
    const { calls } = mockFetch((req) => {
      if (pathOf(req.url) === '/api/auth/me/') return { body: { is_authenticated: false } }
      const counted = queryOf(req.url).get('facets') !== 'false'
      const genre = queryOf(req.url).get('genre') ? 'Comedy' : 'Action'
      return {
        body: {
          count: 100,
          next: null,
          previous: null,
          degraded: false,
          facets: counted
            ? { genre: [{ value: genre.toLowerCase(), name: genre, count: 7 }], type: [], year: [], season: [] }
            : { genre: [], type: [], year: [], season: [] },
          results: [card(1, 'Shingeki no Kyojin')],
        },
      }
    })
    const searches = () => calls.filter((c) => pathOf(c.url) === '/api/search/').map((c) => queryOf(c.url))
    const genreOptions = () =>
      Array.from(document.querySelectorAll('.el-select-dropdown__item')).map((el) => el.textContent?.trim())
    const { wrapper, router } = await mountView(SearchView, '/search?q=titan')
    // the first page of a search counts its facets
    expect(searches().map((q) => q.get('facets'))).toEqual([null])
    expect(genreOptions()).toContain('Action (7)')
    // the next page and another sort reuse them
    await router.push('/search?q=titan&page=2')
    await flushPromises()
    await router.push('/search?q=titan&page=2&sort=score')
    await flushPromises()
    expect(searches().map((q) => q.get('facets'))).toEqual([null, 'false', 'false'])
    expect(genreOptions()).toContain('Action (7)')
    // a filter changes what they count: asked again
    await router.push('/search?q=titan&genre=comedy')
    await flushPromises()
    expect(searches().map((q) => q.get('facets'))).toEqual([null, 'false', 'false', null])
    expect(genreOptions()).toContain('Comedy (7)')
    wrapper.unmount()
  })
})

describe('SearchView with a hand-edited address', () => {
  function backend() {
    return mockFetch((req) => {
      if (pathOf(req.url) === '/api/auth/me/') return { body: { is_authenticated: false } }
      const query = queryOf(req.url)
      if (query.get('type') === 'Bogus') {
        return { status: 400, body: { code: 'invalid', message: 'Invalid input.', extra: { fields: { type: ['Unknown type: Bogus.'] } } } }
      }
      if (Number(query.get('page') ?? 1) > 5) return { status: 404, body: { code: 'not_found', message: 'This was not found.', extra: {} } }
      const empty = { genre: [], type: [], year: [], season: [] }
      return { body: { count: 100, next: null, previous: null, degraded: false, facets: empty, results: [card(1, 'Naruto')] } }
    })
  }

  it('drops a filter the server does not know instead of showing an error', async () => {
    backend()
    const { wrapper, router } = await mountView(SearchView, '/search?q=naruto&type=Bogus&genre=action')
    await flushPromises()
    expect(router.currentRoute.value.query).toEqual({ q: 'naruto', genre: 'action' })
    expect(wrapper.find('.result-title').text()).toContain('Naruto')
    wrapper.unmount()
  })

  it('goes back to the first page from a page past the last', async () => {
    backend()
    const { wrapper, router } = await mountView(SearchView, '/search?q=naruto&page=999')
    await flushPromises()
    expect(router.currentRoute.value.query).toEqual({ q: 'naruto' })
    expect(wrapper.find('.result-title').text()).toContain('Naruto')
    wrapper.unmount()
  })
})

describe('OnboardingView', () => {
  /** A backend with three suggested anime; `favorites` are the anime already saved as favourites. */
  function backend(favorites: number[] = []) {
    return mockFetch((req) => {
      const path = pathOf(req.url)
      if (path === '/api/auth/me/') return { body: { is_authenticated: true, id: 1, username: 'yuki' } }
      if (path === '/api/collection/' && req.method === 'GET') {
        const results = favorites.map((id) => ({ anime: card(id, `Anime ${id}`), is_favorite: true, status: '', score: null }))
        return { body: { count: results.length, next: null, previous: null, results } }
      }
      if (path === '/api/collection/') return { status: 201, body: { anime: {}, is_favorite: true, status: '', score: null } }
      return {
        body: {
          degraded: false,
          version: null,
          results: [1, 2, 3].map((id) => ({ ...card(id, `Anime ${id}`), reason: { code: 'popular' }, reason_text: '', channel: 'popular' })),
        },
      }
    })
  }

  const pressed = (wrapper: ReturnType<typeof mount>) =>
    wrapper
      .findAll('[data-testid="onboarding-choice"]')
      .filter((c) => c.attributes('aria-pressed') === 'true')
      .map((c) => c.attributes('data-anime-id'))

  const saves = (calls: { url: string; method: string; body: unknown }[]) =>
    calls.filter((c) => pathOf(c.url) === '/api/collection/' && c.method === 'POST').map((c) => JSON.parse(String(c.body)))

  it('saves the picks as favourites and shows the recommendations', async () => {
    const { calls } = backend()
    const { wrapper, router } = await mountView(OnboardingView, '/onboarding')
    const finish = wrapper.find('[data-testid="onboarding-finish"]')
    expect(finish.attributes('disabled')).toBeDefined()
    const choices = wrapper.findAll('[data-testid="onboarding-choice"]')
    expect(choices).toHaveLength(3)
    await choices[0]?.trigger('click')
    await choices[2]?.trigger('click')
    expect(choices[2]?.attributes('aria-pressed')).toBe('true')
    expect(wrapper.find('[data-testid="pick-count"]').text()).toBe('2 picked')
    await finish.trigger('click')
    await flushPromises()
    expect(saves(calls)).toEqual([
      { anime_id: 1, is_favorite: true },
      { anime_id: 3, is_favorite: true },
    ])
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/recommendations?from=onboarding'))
    // saved: the draft is gone
    expect(window.localStorage.getItem('animesite.onboarding.1')).toBeNull()
    wrapper.unmount()
  })

  it('keeps the picks across a reload before they are saved', async () => {
    const { calls } = backend()
    const first = await mountView(OnboardingView, '/onboarding')
    const choices = first.wrapper.findAll('[data-testid="onboarding-choice"]')
    await choices[1]?.trigger('click')
    await choices[2]?.trigger('click')
    first.wrapper.unmount()

    // the page is opened again (a reload, or a language switch that rebuilds the page)
    const second = await mountView(OnboardingView, '/onboarding')
    expect(pressed(second.wrapper)).toEqual(['2', '3'])
    expect(second.wrapper.find('[data-testid="pick-count"]').text()).toBe('2 picked')
    expect(saves(calls)).toEqual([])
    second.wrapper.unmount()
  })

  it('shows the favourites saved earlier as picked and unfavourites the ones unpicked', async () => {
    const { calls } = backend([2, 7])
    const { wrapper } = await mountView(OnboardingView, '/onboarding')
    // anime 7 is not among the suggestions: it is shown first, picked
    expect(pressed(wrapper).sort()).toEqual(['2', '7'])
    expect(wrapper.find('[data-testid="pick-count"]').text()).toBe('2 picked')
    const byId = (id: string) => wrapper.find(`[data-testid="onboarding-choice"][data-anime-id="${id}"]`)
    await byId('7').trigger('click')
    await byId('1').trigger('click')
    await wrapper.find('[data-testid="onboarding-finish"]').trigger('click')
    await flushPromises()
    expect(saves(calls)).toEqual([
      { anime_id: 1, is_favorite: true },
      { anime_id: 7, is_favorite: false },
    ])
    wrapper.unmount()
  })
})
