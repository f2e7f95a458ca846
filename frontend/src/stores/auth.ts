import { defineStore } from 'pinia'
import { computed, ref } from 'vue'

import { authApi, type CurrentUser, type RegisterInput } from '@/api'

export const useAuthStore = defineStore('auth', () => {
  const user = ref<CurrentUser | null>(null)
  const loaded = ref(false)
  let pending: Promise<CurrentUser | null> | null = null

  const isAuthenticated = computed(() => user.value?.is_authenticated === true)
  const username = computed(() => (isAuthenticated.value ? (user.value?.username ?? '') : ''))
  /** Set right after registration: the onboarding page is offered once. */
  const justRegistered = ref(false)

  /** Asks the server who is logged in (this also sets the CSRF cookie); runs once unless forced. */
  async function fetchMe(force = false): Promise<CurrentUser | null> {
    if (loaded.value && !force) return user.value
    if (pending) return pending
    pending = authApi
      .me()
      .then((me) => {
        user.value = me
        return me
      })
      .catch(() => {
        // The site keeps working for anonymous visitors when the account service fails.
        user.value = { is_authenticated: false }
        return user.value
      })
      .finally(() => {
        loaded.value = true
        pending = null
      })
    return pending
  }

  async function ensureCsrf(): Promise<void> {
    if (!loaded.value) await fetchMe()
  }

  async function login(name: string, password: string): Promise<CurrentUser> {
    await ensureCsrf()
    const me = await authApi.login(name, password)
    user.value = me
    loaded.value = true
    justRegistered.value = false
    return me
  }

  async function register(input: RegisterInput): Promise<CurrentUser> {
    await ensureCsrf()
    const me = await authApi.register(input)
    user.value = me
    loaded.value = true
    justRegistered.value = true
    return me
  }

  async function logout(): Promise<void> {
    try {
      user.value = await authApi.logout()
    } finally {
      user.value = { is_authenticated: false }
      justRegistered.value = false
    }
  }

  return { user, loaded, isAuthenticated, username, justRegistered, fetchMe, login, register, logout }
})
