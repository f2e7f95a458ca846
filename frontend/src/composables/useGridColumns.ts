import { onBeforeUnmount, ref, type Ref } from 'vue'

/**
 * Columns of `.anime-grid` by viewport width; the same breakpoints as `styles/main.css`
 * (keep both in step): 6 from 1024 px, 4 from 720 px, 3 from 481 px, else 2.
 */
export const GRID_BREAKPOINTS: ReadonlyArray<readonly [minWidth: number, columns: number]> = [
  [1024, 6],
  [720, 4],
  [481, 3],
]

export function gridColumnsFor(width: number): number {
  for (const [minWidth, columns] of GRID_BREAKPOINTS) if (width >= minWidth) return columns
  return 2
}

/**
 * The first items that fill whole rows of `columns`: a partial last row is left out, unless the
 * items do not fill even one row.
 */
export function wholeRows<T>(items: readonly T[], columns: number): T[] {
  if (items.length <= columns) return [...items]
  return items.slice(0, items.length - (items.length % columns))
}

/** The current column count of card grids, following the window's width. */
export function useGridColumns(): Ref<number> {
  const columns = ref(gridColumnsFor(typeof window === 'undefined' ? 1280 : window.innerWidth))
  if (typeof window === 'undefined') return columns
  const update = () => {
    columns.value = gridColumnsFor(window.innerWidth)
  }
  window.addEventListener('resize', update, { passive: true })
  onBeforeUnmount(() => window.removeEventListener('resize', update))
  return columns
}
