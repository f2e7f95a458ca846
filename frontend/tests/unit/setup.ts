import { afterEach, beforeEach, vi } from 'vitest'

import { resetSuggestClients } from '@/composables/useSuggestClient'
import { i18n } from '@/i18n'

beforeEach(() => {
  window.localStorage.clear()
  document.cookie = 'csrftoken=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/'
  i18n.global.locale.value = 'en'
  resetSuggestClients()
})

afterEach(() => {
  vi.unstubAllGlobals()
  vi.useRealTimers()
  document.body.innerHTML = ''
})

// Element Plus and async-validator report failed form validation on the console in development
// builds; the tests assert on the rendered messages instead.
for (const level of ['warn', 'error'] as const) {
  const original = console[level].bind(console)
  console[level] = (...args: unknown[]) => {
    const [first] = args
    const isFieldErrors =
      args.length === 1 && first !== null && typeof first === 'object' && Object.values(first).every(Array.isArray)
    const isValidatorNote = typeof first === 'string' && first.startsWith('async-validator:')
    if (!isFieldErrors && !isValidatorNote) original(...args)
  }
}
