import { ref, shallowRef, type Ref, type ShallowRef } from 'vue'

import { ApiError } from '@/api/http'

export interface AsyncState<T> {
  data: ShallowRef<T | null>
  loading: Ref<boolean>
  error: ShallowRef<ApiError | Error | null>
  run: () => Promise<T | null>
}

/**
 * Loading / error / data for one request. Only the latest run's answer is kept, so a slow
 * earlier response never overwrites a newer one.
 */
export function useAsync<T>(load: () => Promise<T>, options: { keepData?: boolean } = {}): AsyncState<T> {
  const data = shallowRef<T | null>(null)
  const loading = ref(false)
  const error = shallowRef<ApiError | Error | null>(null)
  let generation = 0

  async function run(): Promise<T | null> {
    const mine = ++generation
    loading.value = true
    error.value = null
    if (!options.keepData) data.value = null
    try {
      const result = await load()
      if (mine === generation) data.value = result
      return result
    } catch (err) {
      if (mine === generation) error.value = err instanceof Error ? err : new Error(String(err))
      return null
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  return { data, loading, error, run }
}
