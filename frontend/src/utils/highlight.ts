/**
 * Search highlights arrive as HTML with matched words in <em>. Everything is escaped, then exactly
 * the bare `<em>` and `</em>` tags are restored, so no other markup (attributes, scripts, links)
 * can ever reach the page.
 */
const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch)
}

export function safeHighlight(fragment: string): string {
  const escaped = escapeHtml(fragment).replace(/&lt;(\/?)em&gt;/g, '<$1em>')
  return balanceEm(escaped)
}

/** Drops unmatched <em>/</em> so a cut fragment cannot leave the rest of the page emphasised. */
function balanceEm(html: string): string {
  let depth = 0
  const out = html.replace(/<(\/?)em>/g, (tag, closing: string) => {
    if (closing) {
      if (depth === 0) return ''
      depth -= 1
      return tag
    }
    depth += 1
    return tag
  })
  return out + '</em>'.repeat(depth)
}

/** The text of a highlight fragment without its tags (for comparisons and titles). */
export function stripHighlight(fragment: string): string {
  return fragment.replace(/<\/?em>/g, '')
}
