/** The catalogue's fixed vocabularies (MyAnimeList's genre list, anime types, seasons). */

export const GENRES = [
  'Action', 'Adventure', 'Cars', 'Comedy', 'Dementia', 'Demons', 'Drama', 'Ecchi', 'Fantasy', 'Game',
  'Harem', 'Hentai', 'Historical', 'Horror', 'Josei', 'Kids', 'Magic', 'Martial Arts', 'Mecha', 'Military',
  'Music', 'Mystery', 'Parody', 'Police', 'Psychological', 'Romance', 'Samurai', 'School', 'Sci-Fi', 'Seinen',
  'Shoujo', 'Shoujo Ai', 'Shounen', 'Shounen Ai', 'Slice of Life', 'Space', 'Sports', 'Super Power',
  'Supernatural', 'Thriller', 'Vampire', 'Yaoi', 'Yuri',
] as const

/**
 * Genres of explicit adult titles: the catalogue hides those anime (catalog.models.ADULT_GENRES),
 * so filters do not offer the genre.
 */
export const ADULT_GENRES: readonly string[] = ['Hentai']

/** The genres filters offer. */
export const LISTED_GENRES = GENRES.filter((name) => !ADULT_GENRES.includes(name))

export const ANIME_TYPES = ['TV', 'Movie', 'OVA', 'ONA', 'Special', 'Music'] as const

export const SEASONS = ['winter', 'spring', 'summer', 'fall'] as const

/** The slug the backend gives a genre name (Django's slugify): "Slice of Life" -> "slice-of-life". */
export function genreSlug(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[-\s]+/g, '-')
}
