import { useI18n } from 'vue-i18n'

import { genreKey } from '@/utils/format'

/** Translated labels for catalogue values (genres, types, seasons, statuses), raw value as fallback. */
export function useLabels() {
  const { t, te } = useI18n()

  function label(group: string, value: string | null | undefined): string {
    if (!value) return ''
    const key = `${group}.${genreKey(value)}`
    return te(key) ? t(key) : value
  }

  return {
    genre: (name: string) => label('genre', name),
    type: (value: string | null | undefined) => label('animeType', value),
    season: (value: string | null | undefined) => label('season', value),
    status: (value: string | null | undefined) => label('status', value),
    titleLanguage: (value: string) => label('titleLanguage', value),
    titleKind: (value: string) => label('titleKind', value),
  }
}
