import { watch, type Ref } from 'vue'
import { useRoute, useRouter } from 'vue-router'

import { ApiError } from '@/api/http'

/**
 * A page past the last one (the API answers 404, e.g. a hand-edited `?page=999` or a list that
 * shrank) goes back to the first page instead of showing an error: the address is replaced, so
 * the back button skips the refused one.
 */
export function usePageFallback(error: Ref<unknown>): void {
  const route = useRoute()
  const router = useRouter()
  watch(error, (err) => {
    if (!(err instanceof ApiError) || err.status !== 404) return
    const page = Number(route.query.page)
    if (!(page > 1)) return
    const query = { ...route.query }
    delete query.page
    void router.replace({ query })
  })
}
