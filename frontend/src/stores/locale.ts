import { defineStore } from 'pinia'
import { computed } from 'vue'

import { i18n, LOCALE_STORAGE_KEY, isAppLocale, type AppLocale } from '@/i18n'

export const useLocaleStore = defineStore('locale', () => {
  const locale = computed<AppLocale>(() => i18n.global.locale.value)

  function apply(value: AppLocale): void {
    i18n.global.locale.value = value
    if (typeof document !== 'undefined') document.documentElement.lang = value
  }

  function setLocale(value: AppLocale | string): void {
    if (!isAppLocale(value)) return
    apply(value)
    try {
      window.localStorage.setItem(LOCALE_STORAGE_KEY, value)
    } catch {
      // The choice still holds for this visit.
    }
  }

  apply(locale.value)
  return { locale, setLocale }
})
