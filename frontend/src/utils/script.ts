/**
 * The language of a piece of text told from its script, for content the API gives without a
 * language field (synopses, tags, search snippets).
 *
 * Kana (hiragana U+3040-309F, katakana U+30A0-30FF) means Japanese; Hangul means Korean; Han
 * ideographs without kana mean Chinese; otherwise mostly Latin letters mean English. Counts only
 * letters, so digits, punctuation and a stray Latin name inside Chinese text do not decide.
 */
export type ContentLanguage = 'zh' | 'ja' | 'ko' | 'en'

const KANA = /[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]/gu
const HANGUL = /[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]/gu
const HAN = /\p{Script=Han}/gu
const LATIN = /\p{Script=Latin}/gu

function count(text: string, re: RegExp): number {
  return text.match(re)?.length ?? 0
}

/** The language the text is written in, or null for text with too few letters to tell. */
export function detectContentLanguage(text: string | null | undefined): ContentLanguage | null {
  if (!text) return null
  const kana = count(text, KANA)
  const hangul = count(text, HANGUL)
  const han = count(text, HAN)
  const latin = count(text, LATIN)
  const cjk = kana + hangul + han
  if (cjk === 0 && latin === 0) return null
  // A CJK character carries about as much as a Latin word: weigh them so.
  if (cjk * 4 >= latin) {
    if (kana > 0 && kana * 10 >= cjk) return 'ja'
    if (hangul > han) return 'ko'
    return 'zh'
  }
  return 'en'
}

/** The UI language's own content language: 'zh' for the Chinese UI, 'en' for the English one. */
export function uiContentLanguage(locale: string): ContentLanguage {
  return locale.toLowerCase().startsWith('zh') ? 'zh' : 'en'
}

/**
 * The language to label the text with: its language when it differs from the UI's, else null.
 * `texts` may be several pieces (the tags of an anime): the label goes by all of them together.
 */
export function foreignLanguage(texts: string | readonly string[] | null | undefined, locale: string): ContentLanguage | null {
  const joined = Array.isArray(texts) ? texts.join(' ') : ((texts as string | null | undefined) ?? '')
  const language = detectContentLanguage(joined)
  return language && language !== uiContentLanguage(locale) ? language : null
}
