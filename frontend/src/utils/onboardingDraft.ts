/**
 * The onboarding picks not yet saved, kept in localStorage per user so that a reload (or a language
 * switch) does not lose them. Cleared once the picks are saved as favourites.
 */

/** What the onboarding page needs of an anime to show it as a choice. */
export interface Choice {
  id: number
  title: string
  cover_url: string
  year: number | null
  type: string | null
}

export interface OnboardingDraft {
  /** Picked anime, in the order they were picked. */
  picked: Choice[]
  /** Anime found by search and shown before the suggested ones. */
  extra: Choice[]
  /** Ids of saved favourites the user unpicked here (unfavourited when the picks are saved). */
  removed: number[]
}

const KEY_PREFIX = 'animesite.onboarding.'

export function draftKey(userKey: string | number): string {
  return `${KEY_PREFIX}${userKey}`
}

function isChoice(value: unknown): value is Choice {
  if (!value || typeof value !== 'object') return false
  const c = value as Record<string, unknown>
  return typeof c.id === 'number' && Number.isInteger(c.id) && c.id > 0 && typeof c.title === 'string'
}

function choices(value: unknown): Choice[] {
  if (!Array.isArray(value)) return []
  return value.filter(isChoice).map((c) => ({
    id: c.id,
    title: c.title,
    cover_url: typeof c.cover_url === 'string' ? c.cover_url : '',
    year: typeof c.year === 'number' ? c.year : null,
    type: typeof c.type === 'string' ? c.type : null,
  }))
}

export function emptyDraft(): OnboardingDraft {
  return { picked: [], extra: [], removed: [] }
}

/** The saved draft, or an empty one when there is none or it cannot be read. */
export function loadDraft(userKey: string | number): OnboardingDraft {
  try {
    const raw = window.localStorage.getItem(draftKey(userKey))
    if (!raw) return emptyDraft()
    const data = JSON.parse(raw) as Record<string, unknown>
    const removed = Array.isArray(data.removed) ? data.removed.filter((id): id is number => Number.isInteger(id)) : []
    return { picked: choices(data.picked), extra: choices(data.extra), removed }
  } catch {
    return emptyDraft()
  }
}

export function saveDraft(userKey: string | number, draft: OnboardingDraft): void {
  try {
    window.localStorage.setItem(draftKey(userKey), JSON.stringify(draft))
  } catch {
    // Storage full or unavailable: the picks still hold until the page is left.
  }
}

export function clearDraft(userKey: string | number): void {
  try {
    window.localStorage.removeItem(draftKey(userKey))
  } catch {
    // Nothing to clear.
  }
}
