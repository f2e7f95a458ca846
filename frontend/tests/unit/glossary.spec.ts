import { describe, expect, it } from 'vitest'

import en from '@/i18n/locales/en'
import zhCN from '@/i18n/locales/zh-CN'

/** Every message as [dotted key, text]. */
function flatten(messages: object, prefix = ''): [string, string][] {
  return Object.entries(messages).flatMap(([key, value]) =>
    typeof value === 'string' ? [[`${prefix}${key}`, value] as [string, string]] : flatten(value as object, `${prefix}${key}.`),
  )
}

// The glossary of frontend/README.md: favourite = 收藏, list = 片单, members = MyAnimeList 用户.
describe('one word per concept', () => {
  it('uses 收藏 only for favourites', () => {
    const uses = flatten(zhCN)
      .filter(([, text]) => text.includes('收藏'))
      .map(([key]) => key)
    const favouriteKeys = uses.filter((key) => /favorite|Favorite|onboarding\.saved|recs\.empty|loginToCollect/.test(key))
    expect(uses).toEqual(favouriteKeys)
    expect(zhCN.collection.title).toBe('我的片单')
    expect(zhCN.nav.myCollection).toBe('我的片单')
  })

  it('calls the list a list in English, never a collection', () => {
    const collection = flatten(en).filter(([, text]) => /collection/i.test(text.replace(/\{\w+\}/g, '')))
    expect(collection).toEqual([])
    expect(en.collection.title).toBe('My list')
  })

  it('names MyAnimeList whenever it counts MyAnimeList members', () => {
    for (const messages of [en, zhCN]) {
      expect(messages.anime.members).toContain('MyAnimeList')
      expect(messages.anime.membersCount).toContain('MyAnimeList')
      expect(messages.rankings.stat.popular).toContain('MyAnimeList')
    }
    expect(zhCN.anime.membersCount).not.toContain('收藏')
  })
})
