import { searchApi, type SuggestResponse } from '@/api'
import { createSuggestClient, type SuggestClient } from '@/utils/suggestClient'

// One client per UI language: suggestions carry titles in the language they were asked in.
const clients = new Map<string, SuggestClient<SuggestResponse>>()

/** The shared suggestion client for a UI language (remembered answers live as long as the page). */
export function suggestClientFor(locale: string): SuggestClient<SuggestResponse> {
  let client = clients.get(locale)
  if (!client) {
    client = createSuggestClient<SuggestResponse>({
      fetch: (q, signal) => searchApi.suggest(q, signal),
      maxEntries: 200,
      ttlMs: 5 * 60_000,
      // A degraded answer (search server down) is not kept: the next keystroke asks again.
      cacheable: (response) => !response.degraded,
    })
    clients.set(locale, client)
  }
  return client
}

/** Forgets every remembered answer (tests start from a clean slate). */
export function resetSuggestClients(): void {
  clients.clear()
}
