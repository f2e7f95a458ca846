/** Every call the app makes to the backend. Components and stores import from here only. */
import { http } from './http'
import type {
  AnimeCard,
  AnimeDetail,
  CalendarResponse,
  CollectionChange,
  CollectionEntry,
  CollectionProgress,
  CollectionQuery,
  CollectionStatistics,
  CurrentUser,
  HomeResponse,
  ImportJob,
  Paginated,
  RankingFilters,
  RankingKind,
  RankingResponse,
  RecommendationsResponse,
  SearchParams,
  SearchResponse,
  SeasonPage,
  SeasonScope,
  SeasonSort,
  SeasonSummary,
  SimilarResponse,
  SuggestResponse,
} from './types'

import type { CollectionPage } from './types'

export { ApiError, setLanguageProvider } from './http'
export * from './types'

export interface RegisterInput {
  username: string
  password: string
  password_confirm: string
  email?: string
}

export const authApi = {
  me: (): Promise<CurrentUser> => http.get('/api/auth/me/'),
  login: (username: string, password: string): Promise<CurrentUser> =>
    http.post('/api/auth/login/', { json: { username, password } }),
  register: (input: RegisterInput): Promise<CurrentUser> => http.post('/api/auth/register/', { json: input }),
  logout: (): Promise<CurrentUser> => http.post('/api/auth/logout/'),
}

export interface AnimeListQuery {
  genre?: string
  type?: string
  year?: number
  season?: string
  ordering?: string
  page?: number
  page_size?: number
}

export const animeApi = {
  list: (query: AnimeListQuery = {}): Promise<Paginated<AnimeCard>> =>
    http.get('/api/anime/', { query: { ...query } }),
  detail: (id: number): Promise<AnimeDetail> => http.get(`/api/anime/${id}/`),
  similar: (id: number, limit = 12): Promise<SimilarResponse> =>
    http.get(`/api/anime/${id}/similar/`, { query: { limit } }),
}

export const searchApi = {
  search: (params: SearchParams, signal?: AbortSignal): Promise<SearchResponse> =>
    http.get('/api/search/', { query: { ...params }, signal }),
  suggest: (q: string, signal?: AbortSignal): Promise<SuggestResponse> =>
    http.get('/api/search/suggest/', { query: { q }, signal }),
}

export const recommendationsApi = {
  list: (limit = 20): Promise<RecommendationsResponse> => http.get('/api/recommendations/', { query: { limit } }),
  notInterested: (animeId: number): Promise<{ anime_id: number }> =>
    http.post('/api/recommendations/not-interested/', { json: { anime_id: animeId } }),
  undoNotInterested: (animeId: number): Promise<void> =>
    http.delete(`/api/recommendations/not-interested/${animeId}/`),
}

export const collectionApi = {
  list: (query: CollectionQuery = {}): Promise<CollectionPage> =>
    http.get('/api/collection/', { query: { ...query } }),
  /**
   * The entry for one anime, or null when it is not in the collection. Asks the list filtered by
   * the anime, which answers 200 either way (no 404 in the console for an anime not yet listed).
   */
  get: async (animeId: number): Promise<CollectionEntry | null> => {
    const page = await http.get<CollectionPage>('/api/collection/', { query: { anime_id: animeId, page_size: 1 } })
    return page.results[0] ?? null
  },
  /** Adds the anime or changes the given fields of its entry (idempotent). */
  save: (animeId: number, change: CollectionChange): Promise<CollectionEntry> =>
    http.post('/api/collection/', { json: { anime_id: animeId, ...change } }),
  remove: (animeId: number): Promise<void> => http.delete(`/api/collection/${animeId}/`),
  startImport: (file: File, onConflict: 'skip' | 'overwrite' = 'skip'): Promise<ImportJob> => {
    const form = new FormData()
    form.append('file', file)
    form.append('on_conflict', onConflict)
    return http.post('/api/collection/import/', { form })
  },
  importJob: (jobId: number): Promise<ImportJob> => http.get(`/api/collection/import/${jobId}/`),
  /** One more episode watched (capped at the episode count); adds the anime when needed. */
  progress: (animeId: number): Promise<CollectionProgress> => http.post(`/api/collection/${animeId}/progress/`),
  statistics: (): Promise<CollectionStatistics> => http.get('/api/collection/statistics/'),
  /** The MyAnimeList XML export of my list (a plain link: the browser downloads it with the session). */
  exportUrl: '/api/collection/export/',
}

export const rankingsApi = {
  list: (kind: RankingKind, filters: RankingFilters = {}): Promise<RankingResponse> =>
    http.get(`/api/rankings/${kind}/`, { query: { ...filters } }),
}

export interface SeasonQuery {
  type?: string
  sort?: SeasonSort
  scope?: SeasonScope
  page?: number
  page_size?: number
}

export const seasonsApi = {
  current: (): Promise<SeasonSummary> => http.get('/api/seasons/current/'),
  list: (year: number, season: string, query: SeasonQuery = {}): Promise<SeasonPage> =>
    http.get(`/api/seasons/${year}/${season}/`, { query: { ...query } }),
  calendar: (timeZone: string, weekOf?: string): Promise<CalendarResponse> =>
    http.get('/api/calendar/', { query: weekOf ? { tz: timeZone, week_of: weekOf } : { tz: timeZone } }),
}

export const homeApi = {
  get: (): Promise<HomeResponse> => http.get('/api/home/'),
}
