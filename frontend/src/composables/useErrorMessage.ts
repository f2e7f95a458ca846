import { useI18n } from 'vue-i18n'

import { ApiError } from '@/api/http'

/** A message a visitor can act on, in the UI language, for any failed request. */
export function useErrorMessage() {
  const { t } = useI18n()
  return (err: unknown): string => {
    if (err instanceof ApiError) {
      if (err.isNetworkError) return t('error.network')
      if (err.status === 404) return t('error.notFound')
      if (err.status === 401 || err.status === 403) return t('error.forbidden')
      if (err.status === 429) return t('error.throttled')
      if (err.status >= 500) return t('error.server')
      if (err.message) return err.message
    }
    return t('error.generic')
  }
}
