/** Shapes of the JSON the backend returns (see /api/schema/ for the full contract). */

export interface Paginated<T> {
  count: number
  next: string | null
  previous: string | null
  results: T[]
}

export interface CurrentUser {
  is_authenticated: boolean
  id?: number
  username?: string
  email?: string
  is_staff?: boolean
  preferred_language?: string
  date_joined?: string
}

export interface AuthenticatedUser extends CurrentUser {
  is_authenticated: true
  id: number
  username: string
}

export type AnimeType = 'TV' | 'Movie' | 'OVA' | 'ONA' | 'Special' | 'Music' | 'Unknown'
export type Season = 'winter' | 'spring' | 'summer' | 'fall'

export interface AnimeTitles {
  main: string
  en: string
  ja: string
  zh_hans: string
  zh_hant: string
}

/** The anime card every list of the site returns. */
export interface AnimeCard {
  id: number
  /** Null for anime MyAnimeList does not know (keyed by their bangumi id). */
  mal_id: number | null
  title: string
  titles: AnimeTitles
  cover_url: string
  type: string
  episodes: number | null
  year: number | null
  season: string
  score: number | null
  members: number
  genres: string[]
  franchise_id?: number | null
}

export interface TitleEntry {
  text: string
  kind: string
}

export interface ExternalLink {
  site: string
  name: string
  external_id: string
  url: string | null
}

export interface AnimeDetail extends AnimeCard {
  /** Every title keyed by language: x-jat, en, ja, zh-Hans, zh-Hant, und. */
  all_titles: Record<string, TitleEntry[]>
  genre_items: { name: string; slug: string }[]
  tags: string[]
  synopsis: string
  synopsis_zh: string
  aired_from: string | null
  aired_to: string | null
  official_site: string
  external_links: ExternalLink[]
  is_featured: boolean
  is_hidden: boolean
  catalog_key?: string
  bangumi_id?: number | null
  /** The synopsis shown for the request's language, and the language it is written in. */
  synopsis_display?: string
  synopsis_language?: string
  broadcast?: { first_air: string; weekday: number; time_jst: string; period_days: number } | null
  franchise?: { id: number; key: string; name: string } | null
  /** The other entries of the franchise, in air order. */
  related?: RelatedEntry[]
}

export type Relation = 'prequel' | 'sequel' | 'earlier' | 'later' | 'other'

export interface RelatedEntry {
  id: number
  mal_id: number | null
  title: string
  type: string
  episodes: number | null
  year: number | null
  season: string
  aired_from: string | null
  cover_url: string
  score: number | null
  relation: Relation
}

// --- seasons and the airing calendar -------------------------------------------------------------

export type SeasonSort = 'popularity' | 'score' | 'start_date'
export type SeasonScope = 'new' | 'airing'

export interface SeasonRef {
  year: number
  season: Season
}

export interface SeasonSummary extends SeasonRef {
  start: string
  end: string
  is_current: boolean
  current: SeasonRef
  previous: SeasonRef
  next: SeasonRef
  new_count: number
  airing_count: number
  types: Record<string, number>
  data_until: string | null
}

export interface SeasonPage extends Paginated<AnimeCard> {
  season: SeasonSummary
}

export interface CalendarEntry extends AnimeCard {
  /** HH:MM in the viewer's time zone. */
  time: string
  starts_at: string
  jst_weekday: number
  jst_time: string
  crosses_midnight: boolean
}

export interface CalendarDay {
  weekday: number
  name: string
  date: string
  entries: CalendarEntry[]
}

export interface CalendarResponse {
  season: SeasonSummary
  time_zone: string
  week_of: string
  days: CalendarDay[]
}

export interface SimilarItem extends AnimeCard {
  similarity: number
}

export interface SimilarResponse {
  results: SimilarItem[]
  degraded: boolean
  version: string | null
  method: 'cooccurrence' | 'vectors' | 'content'
}

// --- search -------------------------------------------------------------------------------------

export type SearchSort = 'relevance' | 'score' | 'members' | 'year'

export interface SearchParams {
  q?: string
  genre?: string
  type?: string
  year?: number
  season?: string
  sort?: SearchSort
  page?: number
  page_size?: number
  /** false: leave the facet counts out (empty lists), for a page whose facets are on screen already. */
  facets?: boolean
}

export interface SearchHit extends AnimeCard {
  /** HTML fragments with matched words wrapped in <em>, per field ("titles", "synopsis"). */
  highlight: Record<string, string[]>
}

export interface FacetBucket {
  value: string | number
  /** Display name of the value (genre name, type, season, year). */
  name?: string
  label?: string
  count: number
}

export interface SearchResponse extends Paginated<SearchHit> {
  facets: Partial<Record<'genre' | 'type' | 'year' | 'season', FacetBucket[]>>
  degraded: boolean
}

export interface Suggestion {
  id: number
  mal_id: number | null
  title: string
  matched: string
  type: string | null
  year: number | null
  cover_url: string
}

export interface SuggestResponse {
  results: Suggestion[]
  degraded: boolean
}

// --- recommendations ----------------------------------------------------------------------------

export type ReasonCode = 'because_you_liked' | 'new_this_season' | 'new_like' | 'popular_in_genre' | 'popular'

export interface Reason {
  code: ReasonCode
  anime_id?: number
  title?: string
  genre?: string
}

export interface Recommendation extends AnimeCard {
  reason: Reason
  reason_text: string
  channel: string
}

export interface RecommendationsResponse {
  results: Recommendation[]
  degraded: boolean
  version: string | null
}

// --- collection ---------------------------------------------------------------------------------

export const WATCH_STATUSES = ['watching', 'want_to_watch', 'completed', 'on_hold', 'dropped'] as const
export type WatchStatus = (typeof WATCH_STATUSES)[number]

export interface CollectionEntry {
  anime: AnimeCard
  status: WatchStatus | ''
  score: number | null
  is_favorite: boolean
  /** Capped at the anime's episode count when that is known. */
  episodes_watched: number
  rewatch_count: number
  /** YYYY-MM-DD */
  start_date: string | null
  finish_date: string | null
  source: string
  created_at: string
  updated_at: string
}

export interface CollectionChange {
  status?: WatchStatus | ''
  score?: number | null
  is_favorite?: boolean
  episodes_watched?: number
  rewatch_count?: number
  start_date?: string | null
  finish_date?: string | null
}

/** The entry after a "+1"; offer_complete: the last episode was reached, the entry is not completed. */
export interface CollectionProgress extends CollectionEntry {
  offer_complete: boolean
}

export interface CollectionStatistics {
  total: number
  favorites: number
  scored: number
  mean_score: number | null
  statuses: { status: WatchStatus | ''; count: number }[]
  scores: { score: number; count: number }[]
  genres: { name: string; slug: string; count: number; mean_score: number | null }[]
  types: { type: string; count: number; episodes: number }[]
  episodes: number
  minutes: number
  days: number
  minutes_per_episode: Record<string, number>
}

export interface CollectionQuery {
  status?: WatchStatus
  favorite?: boolean
  anime_id?: number
  ordering?: string
  page?: number
  page_size?: number
}

/** Entries per collection tab: all, favourites and each watch status. */
export type CollectionCounts = Record<'all' | 'favorite' | WatchStatus, number>

export interface CollectionPage extends Paginated<CollectionEntry> {
  counts?: CollectionCounts
}

export type ImportStatus = 'pending' | 'running' | 'succeeded' | 'failed'

export interface ImportJob {
  id: number
  status: ImportStatus
  on_conflict: 'skip' | 'overwrite'
  filename: string
  total: number
  processed: number
  /** 0.0 - 1.0 */
  progress: number
  summary: Record<string, number | unknown>
  error: string
  created_at: string
  started_at: string | null
  finished_at: string | null
}

// --- rankings and home --------------------------------------------------------------------------

export const RANKING_KINDS = ['top', 'popular', 'favorites', 'trending'] as const
export type RankingKind = (typeof RANKING_KINDS)[number]

export interface RankingFilters {
  genre?: string
  type?: string
  season?: string
  year?: number
  page?: number
  page_size?: number
}

export interface RankedAnime extends AnimeCard {
  rank: number
  value: number | null
  /** What the value was computed from (votes and mean, members and collections, favourites, ...). */
  details?: RankingDetails
}

/** What a ranking's value was computed from (see the formulas in rankings/selectors.py). */
export interface RankingDetails {
  votes?: number
  mean?: number
  members?: number
  /** List entries of every source; site_users + mal_users. */
  collections?: number
  /** People of this site (MyAnimeList imports included). */
  site_users?: number
  /** MyAnimeList users of the imported data set. */
  mal_users?: number
  favorites?: number
  perfect_scores?: number
  /** People who favourited it or scored it 10/10. */
  loved?: number
  /** Trending: recent activity on this site, or an anime airing this season (by members). */
  basis?: 'activity' | 'airing'
  season?: { season: string; year: number }
}

export interface RankingResponse extends Paginated<RankedAnime> {
  kind: RankingKind
  degraded: boolean
  computed_at?: string
}

export interface HomeSeasonSection {
  season: string
  year: number
  /** The real current season (today's date in Japan). */
  is_current: boolean
  /** new: anime that began this season; airing / new_and_airing: anime airing during it follow. */
  scope?: 'new' | 'airing' | 'new_and_airing'
  results: AnimeCard[]
}

export interface HomeResponse {
  featured: AnimeCard[]
  season: HomeSeasonSection | null
  trending: { basis: string; degraded: boolean; results: RankedAnime[] }
  recommendations: { source: string; personalized: boolean; degraded: boolean; results: Recommendation[] }
  generated_at: string
}
