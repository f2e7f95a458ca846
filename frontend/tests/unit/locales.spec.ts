import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import en from '@/i18n/locales/en'
import zhCN from '@/i18n/locales/zh-CN'

type Tree = { [key: string]: string | Tree }

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>()
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key
    if (typeof value === 'string') out.set(path, value)
    else for (const [k, v] of flatten(value, path)) out.set(k, v)
  }
  return out
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return /\.(ts|vue)$/.test(name) && !path.includes('locales') ? [path] : []
  })
}

const english = flatten(en as Tree)
const chinese = flatten(zhCN as Tree)

describe('locale files', () => {
  it('have exactly the same keys in zh-CN and English', () => {
    const missingInChinese = [...english.keys()].filter((k) => !chinese.has(k))
    const missingInEnglish = [...chinese.keys()].filter((k) => !english.has(k))
    expect(missingInChinese).toEqual([])
    expect(missingInEnglish).toEqual([])
    expect(english.size).toBeGreaterThan(150)
  })

  it('have no empty messages', () => {
    const empty = [...english, ...chinese].filter(([, v]) => v.trim() === '').map(([k]) => k)
    expect(empty).toEqual([])
  })

  it('use the same placeholders in both languages', () => {
    const names = (message: string) => [...message.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()
    const different = [...english.keys()].filter(
      (key) => JSON.stringify([...new Set(names(english.get(key) ?? ''))]) !== JSON.stringify([...new Set(names(chinese.get(key) ?? ''))]),
    )
    expect(different).toEqual([])
  })

  it('contain every literal key the source code asks for', () => {
    const root = join(__dirname, '../../src')
    const used = new Set<string>()
    for (const file of sourceFiles(root)) {
      const text = readFileSync(file, 'utf-8')
      for (const m of text.matchAll(/\bt\(\s*'([a-zA-Z0-9_.]+)'/g)) used.add(m[1] ?? '')
      for (const m of text.matchAll(/keypath="([a-zA-Z0-9_.]+)"/g)) used.add(m[1] ?? '')
    }
    const missing = [...used].filter((key) => !english.has(key))
    expect(used.size).toBeGreaterThan(80)
    expect(missing).toEqual([])
  })

  it('show the exact wrong-credentials message required by the product', () => {
    expect(chinese.get('auth.invalidCredentials')).toBe('校验失败，用户名或密码错误！')
    expect(english.get('auth.invalidCredentials')).toBe('Invalid username or password')
  })
})
