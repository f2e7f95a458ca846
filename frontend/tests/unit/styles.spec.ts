import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

const SRC = join(__dirname, '..', '..', 'src')

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sources(path)
    return /\.(vue|ts)$/.test(name) ? [path] : []
  })
}

/** ElRadioButton -> radio-button (the folder of its styles in element-plus/es/components). */
function folder(component: string): string {
  return component.slice(2).replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()
}

describe('Element Plus styles', () => {
  it('imports the styles of every Element Plus component the app uses', () => {
    // Only the styles listed in styles/element.ts ship: a component without them renders unstyled
    // (the season page's radio buttons showed as bare browser radios).
    const imported = readFileSync(join(SRC, 'styles', 'element.ts'), 'utf8')
    const used = new Set<string>()
    for (const file of sources(SRC)) {
      const text = readFileSync(file, 'utf8')
      for (const match of text.matchAll(/import\s*{([^}]*)}\s*from\s*'element-plus'/g)) {
        for (const name of (match[1] ?? '').split(',').map((n) => n.trim().split(/\s+as\s+/)[0] ?? '')) {
          if (/^El[A-Z]/.test(name) && !/^El(Message|MessageBox|Loading|Notification)$/.test(name)) used.add(name)
        }
      }
    }
    expect(used.size).toBeGreaterThan(10)
    const missing = [...used].filter((c) => !imported.includes(`components/${folder(c)}/style/css`))
    expect(missing).toEqual([])
  })
})
