export function formatNumber(value: number | null | undefined, locale: string): string {
  if (value === null || value === undefined) return '—'
  return new Intl.NumberFormat(locale).format(value)
}

export function formatScore(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—'
  return value.toFixed(2)
}

/** A stable i18n key part for a catalogue value ("Slice of Life" -> "slice_of_life", "zh-Hans" -> "zh_hans"). */
export function genreKey(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '')
}

export function firstParam(value: unknown): string | undefined {
  const v = Array.isArray(value) ? value[0] : value
  return typeof v === 'string' && v !== '' ? v : undefined
}

export function intParam(value: unknown): number | undefined {
  const v = firstParam(value)
  if (v === undefined) return undefined
  const n = Number.parseInt(v, 10)
  return Number.isFinite(n) && String(n) === v ? n : undefined
}

/** Years offered by the filters: from next year back to 1960. */
export function yearOptions(now: Date = new Date()): number[] {
  const last = now.getFullYear() + 1
  return Array.from({ length: last - 1960 + 1 }, (_, i) => last - i)
}
