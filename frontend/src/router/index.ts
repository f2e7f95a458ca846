import { createRouter, createWebHistory, type RouteLocationNormalized, type RouteRecordRaw } from 'vue-router'

import { i18n } from '@/i18n'
import { useAuthStore } from '@/stores/auth'

declare module 'vue-router' {
  interface RouteMeta {
    titleKey?: string
    requiresAuth?: boolean
    guestOnly?: boolean
    /** The page shows no language-dependent data: a language switch keeps it (and what was typed). */
    keepOnLanguageSwitch?: boolean
  }
}

export const routes: RouteRecordRaw[] = [
  { path: '/', name: 'home', component: () => import('@/views/HomeView.vue'), meta: { titleKey: 'nav.home' } },
  {
    path: '/login',
    name: 'login',
    component: () => import('@/views/LoginView.vue'),
    meta: { titleKey: 'auth.loginTitle', guestOnly: true, keepOnLanguageSwitch: true },
  },
  {
    path: '/register',
    name: 'register',
    component: () => import('@/views/RegisterView.vue'),
    meta: { titleKey: 'auth.registerTitle', guestOnly: true, keepOnLanguageSwitch: true },
  },
  {
    path: '/search',
    name: 'search',
    component: () => import('@/views/SearchView.vue'),
    meta: { titleKey: 'nav.search' },
  },
  {
    path: '/anime/:id(\\d+)',
    name: 'anime',
    component: () => import('@/views/AnimeDetailView.vue'),
    props: (route) => ({ id: Number(route.params.id) }),
    meta: { titleKey: 'anime.pageTitle' },
  },
  {
    path: '/recommendations',
    name: 'recommendations',
    component: () => import('@/views/RecommendationsView.vue'),
    meta: { titleKey: 'nav.recommendations' },
  },
  {
    path: '/onboarding',
    name: 'onboarding',
    component: () => import('@/views/OnboardingView.vue'),
    meta: { titleKey: 'onboarding.title', requiresAuth: true },
  },
  {
    path: '/seasons/:year(\\d{4})?/:season(winter|spring|summer|fall)?',
    name: 'seasons',
    component: () => import('@/views/SeasonView.vue'),
    meta: { titleKey: 'nav.seasons' },
  },
  {
    path: '/calendar',
    name: 'calendar',
    component: () => import('@/views/CalendarView.vue'),
    meta: { titleKey: 'calendar.title' },
  },
  {
    path: '/rankings/:kind(top|popular|favorites|trending)?',
    name: 'rankings',
    component: () => import('@/views/RankingsView.vue'),
    meta: { titleKey: 'nav.rankings' },
  },
  {
    path: '/collection',
    name: 'collection',
    component: () => import('@/views/CollectionView.vue'),
    meta: { titleKey: 'nav.myCollection', requiresAuth: true },
  },
  {
    path: '/statistics',
    name: 'statistics',
    component: () => import('@/views/StatisticsView.vue'),
    meta: { titleKey: 'stats.title', requiresAuth: true },
  },
  {
    path: '/:pathMatch(.*)*',
    name: 'not-found',
    component: () => import('@/views/NotFoundView.vue'),
    meta: { titleKey: 'notFound.title' },
  },
]

export function pageTitle(route: RouteLocationNormalized): string {
  const { t } = i18n.global
  const name = t('app.name')
  return route.meta.titleKey ? `${t(route.meta.titleKey)} · ${name}` : name
}

/**
 * Where a navigation scrolls: back/forward restore the saved position; another page, or another
 * page of the same list (`page` in the query), starts at the top; any other change of the same
 * page (a filter, a tab, a sort) keeps the position.
 */
export function scrollFor(
  to: Pick<RouteLocationNormalized, 'path' | 'query'>,
  from: Pick<RouteLocationNormalized, 'path' | 'query'>,
  saved: { left: number; top: number } | null,
): { left?: number; top: number } | false {
  if (saved) return saved
  if (to.path !== from.path) return { top: 0 }
  return (to.query.page ?? '1') !== (from.query.page ?? '1') ? { top: 0 } : false
}

export function createAppRouter() {
  const router = createRouter({
    history: createWebHistory('/'),
    routes,
    scrollBehavior: scrollFor,
  })

  router.beforeEach(async (to) => {
    const auth = useAuthStore()
    await auth.fetchMe()
    if (to.meta.requiresAuth && !auth.isAuthenticated) {
      return { name: 'login', query: { next: to.fullPath } }
    }
    if (to.meta.guestOnly && auth.isAuthenticated) {
      return { name: 'home' }
    }
    return true
  })

  router.afterEach((to) => {
    document.title = pageTitle(to)
  })

  return router
}
