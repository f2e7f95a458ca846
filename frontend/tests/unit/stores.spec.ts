import { beforeEach, describe, expect, it } from 'vitest'

import { i18n, initialLocale, LOCALE_STORAGE_KEY } from '@/i18n'
import { useAuthStore } from '@/stores/auth'
import { useLocaleStore } from '@/stores/locale'

import { freshPinia, mockFetch, pathOf } from './helpers'

beforeEach(() => freshPinia())

describe('auth store', () => {
  it('asks the server once even when many callers need the user at the same time', async () => {
    const { calls } = mockFetch(() => ({ body: { is_authenticated: true, id: 1, username: 'yuki' } }))
    const auth = useAuthStore()
    await Promise.all([auth.fetchMe(), auth.fetchMe(), auth.fetchMe()])
    expect(calls).toHaveLength(1)
    expect(auth.isAuthenticated).toBe(true)
    expect(auth.username).toBe('yuki')
    await auth.fetchMe()
    expect(calls).toHaveLength(1)
  })

  it('treats a failing account service as an anonymous visitor', async () => {
    mockFetch(() => ({ status: 500, body: { code: 'error', message: 'down', extra: {} } }))
    const auth = useAuthStore()
    await auth.fetchMe()
    expect(auth.loaded).toBe(true)
    expect(auth.isAuthenticated).toBe(false)
  })

  it('loads the CSRF cookie before logging in, then keeps the user', async () => {
    const { calls } = mockFetch((req) =>
      pathOf(req.url) === '/api/auth/me/'
        ? { body: { is_authenticated: false } }
        : { body: { is_authenticated: true, id: 3, username: 'mika' } },
    )
    const auth = useAuthStore()
    await auth.login('mika', 'secret-pass')
    expect(calls.map((c) => pathOf(c.url))).toEqual(['/api/auth/me/', '/api/auth/login/'])
    expect(JSON.parse(String(calls[1]?.body))).toEqual({ username: 'mika', password: 'secret-pass' })
    expect(auth.username).toBe('mika')
    expect(auth.justRegistered).toBe(false)
  })

  it('marks a new account so onboarding is offered, and forgets the user on logout', async () => {
    mockFetch((req) => {
      const path = pathOf(req.url)
      if (path === '/api/auth/register/') return { status: 201, body: { is_authenticated: true, id: 4, username: 'newbie' } }
      if (path === '/api/auth/logout/') return { body: { is_authenticated: false } }
      return { body: { is_authenticated: false } }
    })
    const auth = useAuthStore()
    await auth.register({ username: 'newbie', password: 'long-enough', password_confirm: 'long-enough' })
    expect(auth.isAuthenticated).toBe(true)
    expect(auth.justRegistered).toBe(true)
    await auth.logout()
    expect(auth.isAuthenticated).toBe(false)
    expect(auth.username).toBe('')
  })

  it('leaves the user logged in when login fails', async () => {
    mockFetch((req) =>
      pathOf(req.url) === '/api/auth/me/'
        ? { body: { is_authenticated: false } }
        : { status: 400, body: { code: 'invalid_credentials', message: 'Invalid username or password', extra: {} } },
    )
    const auth = useAuthStore()
    await expect(auth.login('mika', 'wrong-pass')).rejects.toMatchObject({ status: 400, code: 'invalid_credentials' })
    expect(auth.isAuthenticated).toBe(false)
  })
})

describe('locale store', () => {
  it('switches the UI language, remembers it and sends it to the API', async () => {
    const { calls } = mockFetch(() => ({ body: {} }))
    const store = useLocaleStore()
    store.setLocale('zh-CN')
    expect(i18n.global.locale.value).toBe('zh-CN')
    expect(window.localStorage.getItem(LOCALE_STORAGE_KEY)).toBe('zh-CN')
    expect(document.documentElement.lang).toBe('zh-CN')
    expect(initialLocale()).toBe('zh-CN')

    const { homeApi } = await import('@/api')
    await homeApi.get()
    expect(calls[0]?.headers['Accept-Language']).toBe('zh-CN')

    store.setLocale('en')
    expect(initialLocale()).toBe('en')
  })

  it('ignores unsupported languages', () => {
    const store = useLocaleStore()
    store.setLocale('en')
    store.setLocale('fr')
    expect(store.locale).toBe('en')
    expect(window.localStorage.getItem(LOCALE_STORAGE_KEY)).toBe('en')
  })
})
