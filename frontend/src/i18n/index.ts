import { createI18n } from 'vue-i18n'

import { setLanguageProvider } from '@/api/http'
import en from './locales/en'
import zhCN from './locales/zh-CN'

export const SUPPORTED_LOCALES = ['zh-CN', 'en'] as const
export type AppLocale = (typeof SUPPORTED_LOCALES)[number]
export const LOCALE_STORAGE_KEY = 'animesite.locale'

export type MessageSchema = typeof en

export function isAppLocale(value: unknown): value is AppLocale {
  return typeof value === 'string' && (SUPPORTED_LOCALES as readonly string[]).includes(value)
}

/** The remembered choice, else the browser's language (Chinese or English), else Chinese. */
export function initialLocale(): AppLocale {
  try {
    const saved = window.localStorage.getItem(LOCALE_STORAGE_KEY)
    if (isAppLocale(saved)) return saved
  } catch {
    // Storage can be unavailable (private mode); fall through to the browser language.
  }
  const browser = (typeof navigator !== 'undefined' && navigator.language) || ''
  if (browser.toLowerCase().startsWith('en')) return 'en'
  return 'zh-CN'
}

export const i18n = createI18n<[MessageSchema], AppLocale, false>({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'en',
  messages: { 'zh-CN': zhCN, en },
  missingWarn: false,
  fallbackWarn: false,
})

setLanguageProvider(() => i18n.global.locale.value)
