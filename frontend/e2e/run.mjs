// End-to-end run of the site in real Chromium against the real backend (see scripts/e2e.sh).
//
//   E2E_BASE_URL=http://127.0.0.1:8010 node e2e/run.mjs
//
// A new user registers, picks favourites during onboarding, sees the recommendations change,
// searches in Japanese and Chinese, opens an anime, favourites and scores it, browses rankings,
// edits the collection and imports a MyAnimeList export, switches language, logs out, and sees
// the wrong-password dialog. Every page is saved as a screenshot under e2e/screenshots/.
// The browser may talk to the loopback server only: every other request is aborted.
// First-visit checks: onboarding picks survive a reload and come back when onboarding is opened
// again, a language switch keeps a half-filled login form, tabbing past empty fields leaves them
// calm, focus is not red, card grids fill whole rows, streaming ids are links, list tabs show
// counts, content in another language is labelled, and no page logs a console error (no 404
// request either). Suggestions are timed while a query is typed character by character; the
// figures are printed and written to e2e/screenshots/suggest-timing.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { chromium } from 'playwright-core'

const HERE = dirname(fileURLToPath(import.meta.url))
const BASE = (process.env.E2E_BASE_URL ?? 'http://127.0.0.1:8010').replace(/\/$/, '')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const SHOTS = process.env.E2E_SCREENSHOTS ?? join(HERE, 'screenshots')
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS ?? 20000)
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])
const KEY_INTERVAL_MS = 150

const username = `e2e_${Date.now().toString(36)}`
const password = 'Titan-e2e-2013'

const t0 = Date.now()
let shotIndex = 0
const blocked = new Set()
const pageErrors = []
const consoleErrors = []
const apiErrors = []
/** Console errors and API error answers a step causes on purpose (an outage, a wrong password). */
const expected = []
const isExpected = (text) => expected.some((re) => re.test(text))

async function expecting(patterns, action) {
  expected.push(...patterns)
  try {
    return await action()
  } finally {
    expected.splice(expected.length - patterns.length, patterns.length)
  }
}

function log(message) {
  console.log(`[e2e ${((Date.now() - t0) / 1000).toFixed(1)}s] ${message}`)
}

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`)
}

async function shot(page, name, options = {}) {
  shotIndex += 1
  const file = join(SHOTS, `${String(shotIndex).padStart(2, '0')}-${name}.png`)
  // Toasts fade out on their own; keep them out of the pictures.
  await page.locator('.el-message').first().waitFor({ state: 'detached', timeout: 5000 }).catch(() => undefined)
  if (options.fullPage) {
    await page.addStyleTag({ content: '.app-header { position: static !important; }' })
  }
  await page.screenshot({ path: file, ...options })
  log(`screenshot ${file}`)
}

async function apiGet(page, path) {
  return page.evaluate(async (url) => {
    const response = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
    return { status: response.status, body: await response.json().catch(() => null) }
  }, path)
}

/** Picks an option of an Element Plus select (its dropdown is rendered at the end of <body>). */
async function choose(page, select, optionText) {
  await select.click()
  const option = page.locator('.el-select-dropdown__item:visible', { hasText: optionText }).first()
  await option.waitFor({ state: 'visible' })
  await option.click()
}

/** Runs ``action`` and waits for the API answer it causes (METHOD and a path fragment). */
async function answered(page, method, pathPart, action) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === method && new URL(r.url()).pathname.includes(pathPart)),
    action(),
  ])
  check(response.ok(), `${method} ${pathPart} answered ${response.status()}`)
  return response
}

// No animations: pictures and checks see the final state at once.
const NO_ANIMATIONS = `*, *::before, *::after {
  transition-duration: 0s !important; transition-delay: 0s !important;
  animation-duration: 0s !important; animation-delay: 0s !important;
}`

async function main() {
  rmSync(SHOTS, { recursive: true, force: true })
  mkdirSync(SHOTS, { recursive: true })
  const profile = mkdtempSync(join(tmpdir(), 'animesite-e2e-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
    viewport: { width: 1366, height: 860 },
    locale: 'zh-CN',
    timezoneId: 'UTC',
  })
  context.setDefaultTimeout(TIMEOUT)
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url())
    if (url.protocol === 'data:' || url.protocol === 'blob:' || LOOPBACK.has(url.hostname)) return route.continue()
    blocked.add(url.hostname)
    return route.abort('blockedbyclient')
  })

  await context.addInitScript((css) => {
    document.addEventListener('DOMContentLoaded', () => {
      const style = document.createElement('style')
      style.textContent = css
      document.head.appendChild(style)
    })
  }, NO_ANIMATIONS)
  const page = context.pages()[0] ?? (await context.newPage())
  page.on('pageerror', (err) => pageErrors.push(String(err)))
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return
    const where = msg.location()?.url ?? ''
    const text = `${msg.text()} (${where || page.url()})`
    // Covers from other hosts are blocked on purpose (offline run): not a page error.
    if (/ERR_BLOCKED_BY_CLIENT/.test(text)) return
    if (where && !LOOPBACK.has(new URL(where).hostname)) return
    if (!isExpected(text)) consoleErrors.push(text)
  })
  page.on('response', (response) => {
    const url = new URL(response.url())
    if (!LOOPBACK.has(url.hostname) || !url.pathname.startsWith('/api/') || response.status() < 400) return
    const text = `${response.status()} ${response.request().method()} ${url.pathname}${url.search}`
    if (!isExpected(text)) apiErrors.push(text)
  })

  try {
    // E2E_ONLY=catalog runs the season, calendar and related-entries pages alone.
    if (process.env.E2E_ONLY === 'catalog') await catalogPages(page)
    else await run(page)
  } catch (err) {
    await page.screenshot({ path: join(SHOTS, 'failure.png'), fullPage: true }).catch(() => undefined)
    throw err
  } finally {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  }
  check(pageErrors.length === 0, `no uncaught errors in the page (got: ${pageErrors.join(' | ')})`)
  check(consoleErrors.length === 0, `no console errors on any page (got: ${consoleErrors.join(' | ')})`)
  check(apiErrors.length === 0, `no API request failed unexpectedly (got: ${apiErrors.join(' | ')})`)
  log(`all steps passed; blocked outside hosts: ${[...blocked].join(', ') || 'none'}`)
}

/** Season page, weekly airing calendar and a detail page's related entries (Chinese UI, UTC). */
async function catalogPages(page) {
  log('season page')
  if (!page.url().startsWith(BASE)) await page.goto(`${BASE}/`)
  const current = await apiGet(page, '/api/seasons/current/')
  check(current.status === 200, 'current season answers')
  await page.goto(`${BASE}/seasons`)
  const heading = page.getByTestId('season-heading')
  await heading.waitFor()
  const seasonNames = { winter: '冬季', spring: '春季', summer: '夏季', fall: '秋季' }
  check(
    (await heading.innerText()).includes(`${current.body.year}年${seasonNames[current.body.season]}`),
    'the season page opens on the current season',
  )
  await page.getByTestId('season-counts').waitFor()
  // A season with anime in the data: sort by score, then keep TV only.
  const spring = await apiGet(page, '/api/seasons/2024/spring/?page_size=100')
  check(spring.body.count >= 50, `spring 2024 has anime (${spring.body.count})`)
  await page.goto(`${BASE}/seasons/2024/spring`)
  await page.getByTestId('season-results').locator('.anime-card').first().waitFor()
  await answered(page, 'GET', '/api/seasons/2024/spring/', () =>
    page.getByTestId('season-sort').getByText('评分').click(),
  )
  check(new URL(page.url()).searchParams.get('sort') === 'score', 'sort is in the address')
  await page.getByTestId('season-results').locator('.anime-card').first().waitFor()
  await shot(page, 'season-spring-2024')
  await page.getByTestId('season-previous').click()
  await page.waitForURL('**/seasons/2024/winter**')
  await page.getByTestId('season-results').locator('.anime-card').first().waitFor()

  log('airing calendar')
  await page.getByTestId('nav-calendar').click()
  await page.waitForURL('**/calendar')
  await page.getByTestId('calendar-intro').filter({ hasText: 'UTC' }).waitFor()
  const calendar = await apiGet(page, '/api/calendar/?tz=UTC')
  const slots = calendar.body.days.reduce((n, day) => n + day.entries.length, 0)
  if (slots > 0) {
    await page.getByTestId('calendar-entry').first().waitFor()
    check((await page.getByTestId('calendar-entry').count()) === slots, 'every weekly slot is on the page')
  }
  await shot(page, 'calendar', { fullPage: true })

  log('related entries')
  const aot = await apiGet(page, '/api/seasons/2013/spring/?page_size=100')
  const first = aot.body.results.find((a) => a.mal_id === 16498)
  check(first, 'Shingeki no Kyojin is in spring 2013')
  await page.goto(`${BASE}/anime/${first.id}`)
  const related = page.getByTestId('related')
  await related.waitFor()
  check((await related.getByTestId('related-entry').count()) >= 5, 'its other seasons and films are listed')
  check((await related.locator('[data-relation="sequel"]').count()) === 1, 'one sequel')
  await shot(page, 'anime-related', { fullPage: true })
  await page.goto(`${BASE}/`)
  await page.locator('.home-section').first().waitFor()
}

async function run(page) {
  // --- home, anonymous, Chinese UI --------------------------------------------------------
  log('home (anonymous)')
  await page.goto(`${BASE}/`)
  await page.locator('.home-section').first().waitFor()
  const footer = page.getByTestId('footer')
  check((await footer.innerText()).includes('bangumi-data'), 'footer names bangumi-data')
  check(
    (await footer.locator('a[href="https://creativecommons.org/licenses/by/4.0/"]').count()) === 1,
    'footer links the CC BY 4.0 licence',
  )
  await page.locator('[data-testid="cover-placeholder"]').first().waitFor()
  // "This season" is the season today's date falls in, in Japan (winter = Jan-Mar, ...).
  const jst = new Date(Date.now() + 9 * 3600 * 1000)
  const currentSeason = ['winter', 'spring', 'summer', 'fall'][Math.floor(jst.getUTCMonth() / 3)]
  const homeBody = (await apiGet(page, '/api/home/')).body
  check(
    homeBody.season.season === currentSeason && homeBody.season.year === jst.getUTCFullYear(),
    `home shows the current season (${homeBody.season.season} ${homeBody.season.year})`,
  )
  check(
    (await page.getByTestId('home-season').innerText()).includes(String(jst.getUTCFullYear())),
    'the season section names the current year',
  )
  await shot(page, 'home-anonymous')
  await catalogPages(page)

  // --- register -----------------------------------------------------------------------------
  log(`register ${username}`)
  await page.getByTestId('nav-register').click()
  await page.waitForURL('**/register')
  await page.locator('#register-username').focus()
  await page.keyboard.press('Tab')
  await page.keyboard.press('Tab')
  await page.keyboard.press('Tab')
  await page.keyboard.press('Tab')
  check((await page.locator('.el-form-item.is-error').count()) === 0, 'tabbing past empty fields does not mark them as errors')
  await checkRegisterLayout(page)
  await page.locator('#register-username').focus()
  const ring = await page.locator('#register-username').evaluate((el) => getComputedStyle(el.closest('.el-input__wrapper')).boxShadow)
  check(ring.includes('58, 111, 214') && !ring.includes('224, 83, 61'), `a focused field has the blue focus ring, not red (${ring})`)
  await shot(page, 'register-focus-zh')
  await page.locator('#register-username').fill('ab')
  await page.locator('#register-password').fill('12345678')
  await page.locator('#register-password-confirm').fill('1234567')
  await page.getByTestId('register-submit').click()
  await page.getByText('密码不能全是数字。').waitFor()
  await page.getByText('两次输入的密码不一致。').waitFor()
  await shot(page, 'register-validation')
  await page.locator('#register-username').fill(username)
  await page.locator('#register-password').fill(password)
  await page.locator('#register-password-confirm').fill(password)
  await page.locator('#register-password-confirm').press('Enter')
  await page.waitForURL('**/onboarding')
  check((await page.getByTestId('avatar-name').innerText()).trim() === username, 'avatar menu shows the new user')

  // --- onboarding ---------------------------------------------------------------------------
  log('onboarding')
  const before = await apiGet(page, '/api/recommendations/?limit=20')
  check(before.status === 200, 'recommendations answer before onboarding')
  const beforeIds = before.body.results.map((r) => r.id)
  await page.getByTestId('onboarding-choice').first().waitFor()
  const choices = page.getByTestId('onboarding-choice')
  const picks = []
  for (let i = 0; i < (await choices.count()) && picks.length < 3; i++) {
    const choice = choices.nth(i)
    const title = (await choice.innerText()).split('\n')[0]
    if (/巨人|titan|命运石|steins/i.test(title)) continue
    await choice.click()
    picks.push(Number(await choice.getAttribute('data-anime-id')))
  }
  const onboardingSearch = page.locator('.onboarding [data-testid="search-input"]')
  await onboardingSearch.fill('steins')
  const suggestion = page.locator('.onboarding [data-testid="suggestion"]').first()
  await suggestion.waitFor()
  await suggestion.click()
  await page.getByTestId('pick-count').filter({ hasText: '4' }).waitFor()
  const pickedIds = () => page.locator('.choice.picked').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-anime-id'))).sort((a, b) => a - b))
  const picked = await pickedIds()
  check(picked.length === 4, `four anime picked (got ${picked.length})`)
  await shot(page, 'onboarding')
  log('onboarding picks survive a reload')
  await page.reload()
  await page.getByTestId('pick-count').filter({ hasText: '4' }).waitFor()
  await page.getByTestId('onboarding-choice').first().waitFor()
  check(JSON.stringify(await pickedIds()) === JSON.stringify(picked), 'the same four picks after a reload')
  await shot(page, 'onboarding-after-reload-zh')
  await page.getByTestId('onboarding-finish').click()
  await page.waitForURL('**/recommendations?from=onboarding')

  // --- recommendations reflect the picks ----------------------------------------------------
  log('recommendations')
  await page.getByTestId('recommendation').first().waitFor()
  const after = await apiGet(page, '/api/recommendations/?limit=20')
  const afterIds = after.body.results.map((r) => r.id)
  check(JSON.stringify(afterIds) !== JSON.stringify(beforeIds), 'recommendations changed after the picks')
  check(afterIds.every((id) => !picked.includes(id)), 'picked anime are not recommended back')
  const favourites = await apiGet(page, '/api/collection/?favorite=true')
  check(favourites.body.count === 4, `the four picks are saved as favourites (got ${favourites.body.count})`)
  if (!after.body.degraded) {
    const liked = after.body.results.filter((r) => r.reason?.code === 'because_you_liked')
    check(liked.length > 0, 'some recommendations are explained by a pick')
    check(liked.every((r) => picked.includes(r.reason.anime_id)), 'every "because you liked" names one of the picks')
  }
  const shownIds = await page.getByTestId('recommendation').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-anime-id'))))
  check(shownIds.length > 0 && shownIds.every((id) => !picked.includes(id)), 'the page shows recommendations without the picks')
  check((await page.getByTestId('reason').first().innerText()).trim().length > 0, 'each recommendation has a reason')
  await shot(page, 'recommendations')

  log('onboarding again shows the saved picks')
  await page.goto(`${BASE}/onboarding`)
  await page.getByTestId('pick-count').filter({ hasText: '4' }).waitFor()
  await page.locator('.choice.picked').nth(3).waitFor()
  check(JSON.stringify(await pickedIds()) === JSON.stringify(picked), 'returning to onboarding shows the four saved picks')
  await shot(page, 'onboarding-return-zh')
  await page.goBack()
  await page.getByTestId('recommendation').first().waitFor()
  const dropped = shownIds[0]
  await answered(page, 'POST', '/api/recommendations/not-interested/', async () => {
    await page.locator(`[data-testid="recommendation"][data-anime-id="${dropped}"] [data-testid="not-interested"]`).click()
    await page.locator(`[data-testid="recommendation"][data-anime-id="${dropped}"]`).waitFor({ state: 'detached' })
  })
  const afterDrop = await apiGet(page, '/api/recommendations/?limit=40')
  check(afterDrop.body.results.every((r) => r.id !== dropped), '"not interested" keeps the anime out of recommendations')

  // --- search in Japanese, then Chinese; the URL keeps the query ------------------------------
  const headerSearch = page.locator('.app-header [data-testid="search-input"]')
  await timeSuggestions(page, headerSearch, 'shingeki')

  log('search 進撃の巨人')
  await headerSearch.fill('進撃の巨人')
  await page.locator('.app-header [data-testid="suggestion"]').first().waitFor()
  await shot(page, 'autocomplete')
  await headerSearch.press('Enter')
  await page.waitForURL(/\/search\?q=/)
  check(decodeURIComponent(new URL(page.url()).searchParams.get('q') ?? '') === '進撃の巨人', 'URL holds the Japanese query')
  await page.getByTestId('search-result').first().waitFor()
  const jaTitles = await page.locator('[data-testid="search-result"] .result-title').allInnerTexts()
  check(jaTitles.slice(0, 3).some((t) => t.includes('进击的巨人')), `Japanese query finds 进击的巨人 in the top 3 (${jaTitles.slice(0, 3)})`)
  await shot(page, 'search-japanese')

  log('search 进击的巨人')
  const pageSearch = page.locator('.search-page [data-testid="search-input"]')
  await pageSearch.fill('进击的巨人')
  await pageSearch.press('Enter')
  await page.waitForURL((url) => url.searchParams.get('q') === '进击的巨人')
  await page.getByTestId('result-count').waitFor()
  const zhTitles = await page.locator('[data-testid="search-result"] .result-title').allInnerTexts()
  check(zhTitles[0]?.includes('进击的巨人'), `Chinese query ranks 进击的巨人 first (${zhTitles.slice(0, 3)})`)
  const degraded = await page.getByTestId('search-degraded').count()
  log(`search degraded notice shown: ${degraded > 0}`)
  await choose(page, page.getByTestId('facet-type'), 'TV')
  await page.waitForURL((url) => url.searchParams.get('type') === 'TV' && url.searchParams.get('q') === '进击的巨人')
  await page.locator('.result-list:not(.stale) [data-testid="search-result"]').first().waitFor()
  await page.locator('.active-filters').getByText('TV').waitFor()
  await shot(page, 'search-chinese')
  await page.goBack()
  await page.waitForURL((url) => url.searchParams.get('type') === null && url.searchParams.get('q') === '进击的巨人')
  await page.goBack()
  await page.waitForURL((url) => url.searchParams.get('q') === '進撃の巨人')
  check((await pageSearch.inputValue()) === '進撃の巨人', 'the back button restores the earlier search')

  // --- detail: titles, cover placeholder, similar, favourite + status + score -----------------
  log('anime detail')
  await page.locator('[data-testid="search-result"] .result-title a').filter({ hasText: /^进击的巨人$/ }).first().click()
  await page.waitForURL(/\/anime\/\d+$/)
  const animeId = Number(new URL(page.url()).pathname.split('/').pop())
  await page.getByTestId('anime-title').waitFor()
  check((await page.getByTestId('anime-title').innerText()).trim() === '进击的巨人', 'detail shows the Chinese title')
  const titles = await page.getByTestId('all-titles').innerText()
  check(titles.includes('Shingeki no Kyojin') && titles.includes('進撃の巨人'), 'detail lists every title')
  check((await page.locator('.detail-cover [data-testid="cover-placeholder"]').count()) === 1, 'cover falls back to a placeholder offline')
  await page.locator('[data-testid="similar"] .anime-card').first().waitFor()
  await checkGrid(page, '[data-testid="similar"] .anime-grid', 'similar anime')
  const links = await page.getByTestId('external-link').evaluateAll((els) => els.map((a) => a.getAttribute('href')))
  check(links.includes('https://www.netflix.com/title/70299043'), `the Netflix id is a link (${links.join(' ')})`)
  check(!(await page.locator('.links').innerText()).includes('netflix:'), 'no streaming id left as plain text')
  await answered(page, 'POST', '/api/collection/', () => page.getByTestId('favorite-button').click())
  await page.locator('[data-testid="favorite-button"][aria-pressed="true"]').waitFor()
  await answered(page, 'POST', '/api/collection/', () => choose(page, page.getByTestId('status-select'), '在看'))
  await answered(page, 'POST', '/api/collection/', () => choose(page, page.getByTestId('score-select'), '9 分'))
  const entry = await apiGet(page, `/api/collection/${animeId}/`)
  check(entry.status === 200 && entry.body.is_favorite === true, 'favourite saved')
  check(entry.body.status === 'watching' && entry.body.score === 9, `status and score saved (${entry.body.status}, ${entry.body.score})`)
  await page.evaluate(() => window.scrollTo(0, 0))
  await shot(page, 'anime-detail')

  // --- rankings -------------------------------------------------------------------------------
  log('rankings')
  await page.locator('.main-nav a[href="/rankings"]').click()
  await page.waitForURL('**/rankings')
  await page.getByTestId('ranking-item').first().waitFor()
  check((await page.locator('[data-testid="ranking-item"] .ranking-rank').first().innerText()).trim() === '1', 'ranking starts at 1')
  await page.getByRole('tab', { name: '人气榜' }).click()
  await page.waitForURL('**/rankings/popular')
  await page.getByTestId('ranking-item').first().waitFor()
  await choose(page, page.getByTestId('rank-type'), '剧场版')
  await page.waitForURL((url) => url.searchParams.get('type') === 'Movie')
  await page.locator('.ranking-list:not(.stale) [data-testid="ranking-item"]').first().waitFor()
  await shot(page, 'rankings')
  await page.goto(`${BASE}/rankings/top?genre=action&year=2013`)
  await page.getByTestId('ranking-item').first().waitFor()
  const rankingApi = await apiGet(page, '/api/rankings/top/?genre=action&year=2013&page_size=5')
  check(rankingApi.body.results.every((r) => r.year === 2013 && r.genres.includes('Action')), 'ranking filters apply')

  // --- the rankings tabs on a new site: honest signals, labelled --------------------------------
  log('rankings tabs')
  for (const kind of ['top', 'popular', 'favorites', 'trending']) {
    await page.goto(`${BASE}/rankings/${kind}`)
    await page.locator('.ranking-list:not(.stale) [data-testid="ranking-item"]').first().waitFor()
    check((await page.getByTestId('ranking-item').count()) >= 12, `the ${kind} tab lists at least 12 anime`)
  }
  const loved = await apiGet(page, '/api/rankings/favorites/?page_size=5')
  check(
    loved.body.results[0].details.mal_users > 0 && loved.body.results[0].members > 100000,
    `most favourited is led by an anime MyAnimeList users love (${loved.body.results[0].title})`,
  )
  const popularApi = await apiGet(page, '/api/rankings/popular/?page_size=5')
  const topPopular = popularApi.body.results[0].details
  check(topPopular.site_users + topPopular.mal_users === topPopular.collections, 'popular counts site users apart')
  const trendingApi = await apiGet(page, '/api/rankings/trending/?page_size=50')
  // A database that earlier runs made busy (12 or more anime with activity) trends by activity only.
  const quiet = trendingApi.body.parameters.basis !== 'activity'
  check(
    trendingApi.body.results.every((r) => ['activity', 'airing'].includes(r.details.basis)) &&
      trendingApi.body.results.some((r) => r.details.basis === 'airing') === quiet,
    `trending entries are labelled with their signal (${trendingApi.body.parameters.basis})`,
  )
  await page.goto(`${BASE}/rankings/favorites`)
  await page.locator('.ranking-list:not(.stale) [data-testid="ranking-item"]').first().waitFor()
  check((await page.getByTestId('ranking-item').first().innerText()).includes('MyAnimeList'), 'the favourites stat names MyAnimeList users')
  await shot(page, 'rankings-favorites-zh')
  await page.goto(`${BASE}/rankings/trending`)
  await page.locator('.ranking-list:not(.stale) [data-testid="ranking-item"]').first().waitFor()
  if (quiet) await page.getByTestId('ranking-item').filter({ hasText: '新番 ·' }).first().waitFor()
  await shot(page, 'rankings-trending-zh')

  // --- collection: inline edit and MyAnimeList import -------------------------------------------
  log('collection')
  await page.getByTestId('avatar-menu').click()
  await page.getByTestId('menu-collection').click()
  await page.waitForURL('**/collection')
  const row = page.locator(`[data-testid="collection-entry"][data-anime-id="${animeId}"]`)
  await row.waitFor()
  await answered(page, 'POST', '/api/collection/', () => choose(page, row.getByTestId('entry-score'), '8 分'))
  const edited = await apiGet(page, `/api/collection/${animeId}/`)
  check(edited.body.score === 8, `inline score edit saved (${edited.body.score})`)
  await page.getByRole('tab', { name: '收藏' }).click()
  await page.waitForURL((url) => url.searchParams.get('tab') === 'favorites')
  await page.locator('.entry-list:not(.stale) [data-testid="collection-entry"]').first().waitFor()
  check((await page.getByTestId('collection-entry').count()) === 5, 'favourites tab lists the four picks and the new favourite')
  const tabs = (await page.locator('[data-testid="collection-tabs"] .el-tabs__item').allInnerTexts()).map((t) => t.trim())
  check(tabs.includes('收藏 (5)') && tabs.includes('在看 (1)'), `list tabs show counts (${tabs.join(', ')})`)

  // Mushishi (MAL 457) and Baccano! (MAL 2251), plus an id that does not exist.
  const mine = await apiGet(page, '/api/collection/?page_size=100')
  const alreadyMine = new Set(mine.body.results.map((e) => e.anime.mal_id))
  const expectedNew = [457, 2251].filter((id) => !alreadyMine.has(id)).length
  const xml = join(SHOTS, '..', 'results', 'animelist.xml')
  mkdirSync(dirname(xml), { recursive: true })
  writeFileSync(
    xml,
    `<?xml version="1.0" encoding="UTF-8" ?>
<myanimelist>
  <myinfo><user_export_type>1</user_export_type></myinfo>
  <anime><series_animedb_id>457</series_animedb_id><my_score>10</my_score><my_status>Completed</my_status><my_last_updated>1600000000</my_last_updated></anime>
  <anime><series_animedb_id>2251</series_animedb_id><my_score>0</my_score><my_status>Plan to Watch</my_status><my_last_updated>1600000000</my_last_updated></anime>
  <anime><series_animedb_id>999999999</series_animedb_id><my_score>7</my_score><my_status>Dropped</my_status><my_last_updated>1600000000</my_last_updated></anime>
</myanimelist>
`,
  )
  await page.getByTestId('mal-file').setInputFiles(xml)
  await page.getByTestId('mal-start').click()
  await page.getByTestId('mal-summary').waitFor({ timeout: 60000 })
  const summary = await page.getByTestId('mal-summary').innerText()
  check(
    new RegExp(`新增:\\s*${expectedNew}\\b`).test(summary) && /未知番剧:\s*1\b/.test(summary),
    `import summary (${summary.replace(/\n/g, ' ')})`,
  )
  if (!alreadyMine.has(457)) {
    const imported = await apiGet(page, '/api/collection/?status=completed&page_size=100')
    check(
      imported.body.results.some((e) => e.anime.mal_id === 457 && e.score === 10),
      'imported entry saved with its status and score',
    )
  }
  await page.getByRole('tab', { name: '全部' }).click()
  await page.locator('.entry-list:not(.stale) [data-testid="collection-entry"]').first().waitFor()
  await page.getByTestId('mal-summary').scrollIntoViewIfNeeded()
  await shot(page, 'collection', { fullPage: true })
  await page.evaluate(() => window.scrollTo(0, 0))
  await shot(page, 'collection-tab-counts-zh')

  // --- episode progress: +1 on a list card, then +1 to the last episode offers "completed" -------
  log('episode progress')
  const titanRow = page.locator(`[data-testid="collection-entry"][data-anime-id="${animeId}"]`)
  const titanBefore = (await apiGet(page, `/api/collection/${animeId}/`)).body.episodes_watched
  await answered(page, 'POST', `/api/collection/${animeId}/progress/`, () => titanRow.getByTestId('episode-plus-one').click())
  await titanRow.getByTestId('episode-count').filter({ hasText: `${titanBefore + 1} /` }).waitFor()
  const ovas = await apiGet(page, '/api/anime/?type=OVA&ordering=-members&page_size=100')
  const short = ovas.body.results.find((a) => a.episodes === 2 && !alreadyMine.has(a.mal_id))
  check(Boolean(short), 'a two-episode OVA to watch')
  await page.goto(`${BASE}/anime/${short.id}`)
  await page.getByTestId('anime-title').waitFor()
  const detailProgress = page.locator('[data-testid="collection-panel"] [data-testid="episode-progress"]')
  await answered(page, 'POST', `/api/collection/${short.id}/progress/`, () => detailProgress.getByTestId('episode-plus-one').click())
  await detailProgress.getByTestId('episode-count').filter({ hasText: '1 / 2' }).waitFor()
  await page.getByTestId('entry-tracking').waitFor()
  await answered(page, 'POST', `/api/collection/${short.id}/progress/`, () => detailProgress.getByTestId('episode-plus-one').click())
  const offer = page.locator('.el-message-box')
  await offer.waitFor()
  check((await offer.innerText()).includes('看完全部剧集'), 'completing the last episode offers "completed"')
  await shot(page, 'progress-complete-offer')
  await answered(page, 'POST', '/api/collection/', () => offer.locator('.el-button--primary').click())
  const finished = await apiGet(page, `/api/collection/${short.id}/`)
  check(
    finished.body.status === 'completed' && finished.body.episodes_watched === 2,
    `completed at 2/2 (${finished.body.status}, ${finished.body.episodes_watched})`,
  )
  check(finished.body.start_date !== null && finished.body.finish_date !== null, 'start and finish dates set by the first and last episode')
  await page.evaluate(() => window.scrollTo(0, 0))
  await shot(page, 'progress-completed')

  // --- export the list as MyAnimeList XML, import it back: nothing changes ------------------------
  log('export then re-import')
  await page.getByTestId('avatar-menu').click()
  await page.getByTestId('menu-collection').click()
  await page.waitForURL('**/collection')
  await page.getByTestId('export-button').waitFor()
  check((await page.getByTestId('export-button').getAttribute('href')) === '/api/collection/export/', 'export link')
  const exported = await page.evaluate(async () => {
    const response = await fetch('/api/collection/export/', { credentials: 'same-origin' })
    return { status: response.status, type: response.headers.get('Content-Type'), text: await response.text() }
  })
  check(exported.status === 200 && exported.type.startsWith('application/xml'), 'the export is XML')
  const exportedCount = (exported.text.match(/<anime>/g) ?? []).length
  check(exportedCount >= 3, `the export carries the list (${exportedCount} entries)`)
  check(exported.text.includes('<my_watched_episodes>2</my_watched_episodes>'), 'the export carries episode progress')
  const snapshot = async () =>
    (await apiGet(page, '/api/collection/?page_size=100&ordering=title')).body.results.map((e) =>
      [e.anime.id, e.status, e.score, e.episodes_watched, e.rewatch_count, e.start_date, e.finish_date, e.updated_at].join('|'),
    )
  const listBefore = await snapshot()
  const exportFile = join(SHOTS, '..', 'results', 'exported-animelist.xml')
  writeFileSync(exportFile, exported.text)
  await page.getByTestId('mal-file').setInputFiles(exportFile)
  const reimport = await answered(page, 'POST', '/api/collection/import/', () => page.getByTestId('mal-start').click())
  const reimportId = (await reimport.json()).id
  await page.getByTestId('mal-summary').waitFor({ timeout: 60000 })
  const job = await apiGet(page, `/api/collection/import/${reimportId}/`)
  check(
    job.body.status === 'succeeded' && job.body.summary.unchanged === exportedCount && job.body.summary.imported === 0 && job.body.summary.updated === 0,
    `re-import changes nothing (${JSON.stringify(job.body.summary)})`,
  )
  check(JSON.stringify(await snapshot()) === JSON.stringify(listBefore), 'the list is the same after the round trip')
  await page.getByTestId('collection-export').scrollIntoViewIfNeeded()
  await shot(page, 'export-reimport')

  // --- statistics with charts (Chinese; English after the language switch) -------------------------
  log('statistics')
  await page.getByTestId('avatar-menu').click()
  await page.getByTestId('menu-statistics').click()
  await page.waitForURL('**/statistics')
  for (const chart of ['chart-statuses', 'chart-scores', 'chart-genres']) {
    await page.locator(`[data-testid="${chart}"] canvas`).first().waitFor()
  }
  const stats = await apiGet(page, '/api/collection/statistics/')
  check(stats.body.total === listBefore.length, `statistics count the list (${stats.body.total})`)
  check((await page.getByTestId('stats-total').innerText()).includes(String(stats.body.total)), 'the total is shown')
  check((await page.getByRole('heading', { name: '我的统计' }).count()) === 1, 'Chinese statistics heading')
  check((await page.getByTestId('stats-duration-note').innerText()).includes('分钟'), 'the duration assumption is stated')
  await shot(page, 'statistics-zh', { fullPage: true })
  await page.getByTestId('avatar-menu').click()
  await page.getByTestId('menu-collection').click()
  await page.waitForURL('**/collection')

  // --- language switch, remembered ------------------------------------------------------------
  log('language switch')
  await page.getByTestId('lang-en').click()
  await page.getByRole('heading', { name: 'My list', exact: true }).waitFor()
  await page.reload()
  await page.getByRole('heading', { name: 'My list', exact: true }).waitFor()
  check((await page.getByTestId('footer').innerText()).includes('Anime data: bangumi-data (CC BY 4.0)'), 'English footer attribution')
  await page.goto(`${BASE}/statistics`)
  await page.getByRole('heading', { name: 'My statistics' }).waitFor()
  await page.locator('[data-testid="chart-scores"] canvas').first().waitFor()
  check((await page.getByTestId('stats-duration-note').innerText()).includes('minutes'), 'English duration note')
  await shot(page, 'statistics-en', { fullPage: true })
  await page.goto(`${BASE}/rankings/favorites`)
  await page.locator('.ranking-list:not(.stale) [data-testid="ranking-item"]').first().waitFor()
  check((await page.getByTestId('rankings-explain').innerText()).includes('People who love it'), 'English rankings explanation')
  await shot(page, 'rankings-favorites-en')
  await page.goto(`${BASE}/rankings/trending`)
  await page.locator('.ranking-list:not(.stale) [data-testid="ranking-item"]').first().waitFor()
  if (quiet) await page.getByTestId('ranking-item').filter({ hasText: 'MyAnimeList members' }).first().waitFor()
  await shot(page, 'rankings-trending-en')

  // --- phone width ----------------------------------------------------------------------------
  log('phone width')
  await page.setViewportSize({ width: 390, height: 844 })
  await page.goto(`${BASE}/anime/${animeId}`)
  await page.getByTestId('anime-title').waitFor()
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  check(overflow <= 1, `no horizontal scrolling at phone width (overflow ${overflow}px)`)
  await shot(page, 'phone-detail')
  await page.goto(`${BASE}/`)
  await page.locator('.home-section').first().waitFor()
  check((await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)) <= 1, 'home fits a phone')
  await shot(page, 'phone-home')
  await page.setViewportSize({ width: 1366, height: 860 })

  // --- an API failure shows an error state, not a blank page -----------------------------------
  log('error state')
  await page.route('**/api/home/', (route) => route.fulfill({ status: 503, contentType: 'text/html', body: 'down' }))
  await expecting([/503/], async () => {
    await page.goto(`${BASE}/`)
    await page.getByTestId('error-state').waitFor()
  })
  await page.unroute('**/api/home/')
  await page.getByTestId('error-state').getByRole('button').click()
  await page.locator('.home-section').first().waitFor()

  // --- the first visit, in English: list tab counts, labelled content, whole-row grids -------
  log('list tab counts in English')
  await page.goto(`${BASE}/collection`)
  await page.getByRole('tab', { name: /^Favourites \(5\)$/ }).waitFor()
  await shot(page, 'collection-tab-counts-en')

  log('English detail: links and a label on Chinese-only content')
  await page.goto(`${BASE}/anime/${animeId}`)
  await page.getByTestId('anime-title').waitFor()
  await page.getByTestId('content-language').first().waitFor()
  const languageLabels = await page.getByTestId('content-language').allInnerTexts()
  check(languageLabels.includes('Chinese'), `Chinese-only content is labelled on the English site (${languageLabels.join(', ')})`)
  await page.locator('.links').scrollIntoViewIfNeeded()
  await shot(page, 'detail-links-and-language-en')

  log('card grids at common widths')
  for (const width of [1366, 1024, 768, 390]) {
    await page.setViewportSize({ width, height: 860 })
    await page.goto(`${BASE}/`)
    await page.locator('.home-section .anime-grid').first().waitFor()
    for (const [i, grid] of (await page.locator('.home-section .anime-grid').all()).entries()) {
      await checkGrid(page, grid, `home section ${i + 1} at ${width} px`)
    }
  }
  await page.setViewportSize({ width: 1366, height: 860 })
  await page.goto(`${BASE}/`)
  await page.locator('.home-section').first().waitFor()
  await shot(page, 'home-grid-1366-en')

  // --- log out, then a wrong password shows the dialog (English, then Chinese) -------------------
  log('log out')
  await page.getByTestId('avatar-menu').click()
  await page.getByTestId('menu-logout').click()
  await page.getByTestId('nav-login').waitFor()
  const me = await apiGet(page, '/api/auth/me/')
  check(me.body.is_authenticated === false, 'logged out on the server')

  for (const [lang, text] of [
    ['en', 'Invalid username or password'],
    ['zh-CN', '校验失败，用户名或密码错误！'],
  ]) {
    log(`wrong password (${lang})`)
    await page.getByTestId(`lang-${lang}`).click()
    await page.goto(`${BASE}/login`)
    await page.locator('#login-username').fill(username)
    await page.locator('#login-password').fill('not-the-password')
    const dialog = page.locator('.invalid-credentials-dialog')
    await expecting([/400/], async () => {
      await page.locator('#login-password').press('Enter')
      await dialog.waitFor()
    })
    check((await dialog.locator('.el-message-box__message').innerText()).trim() === text, `dialog says "${text}"`)
    await shot(page, `wrong-password-${lang}`)
    await dialog.locator('.el-message-box__btns button').click()
    await dialog.waitFor({ state: 'hidden' })
    check(new URL(page.url()).pathname === '/login', 'back on the login form')
    check((await page.locator('#login-password').inputValue()) === '', 'password field cleared')
    check((await page.locator('[data-testid="login-form"] .el-form-item.is-error').count()) === 0, 'the emptied password field is not marked as an error')
    check((await page.locator('#login-username').inputValue()) === username, 'username kept')
    await page.waitForFunction(() => document.activeElement?.id === 'login-password')
  }

  log('language switch on a half-filled login form')
  for (const [lang, label] of [
    ['en', 'Username'],
    ['zh-CN', '用户名'],
  ]) {
    await page.locator('#login-username').fill(username)
    await page.locator('#login-password').fill('half-typed')
    await page.getByTestId(`lang-${lang}`).click()
    await page.locator('[data-testid="login-form"] label', { hasText: label }).first().waitFor()
    check((await page.locator('#login-username').inputValue()) === username, `username kept after switching to ${lang}`)
    check((await page.locator('#login-password').inputValue()) === 'half-typed', `password kept after switching to ${lang}`)
    check((await page.locator('[data-testid="login-form"] .el-form-item.is-error').count()) === 0, `no error on the half-filled form (${lang})`)
    await shot(page, `login-half-filled-${lang}`)
  }
  await page.getByTestId('lang-en').click()
  await page.goto(`${BASE}/register`)
  await checkRegisterLayout(page)
  await shot(page, 'register-en')
  await page.getByTestId('lang-zh-CN').click()
  await page.goto(`${BASE}/login`)

  log('log in again with the right password')
  await page.locator('#login-username').fill(username)
  await page.locator('#login-password').fill(password)
  await page.locator('#login-password').press('Enter')
  await page.getByTestId('avatar-name').filter({ hasText: username }).waitFor()
}

/** The register card is narrow and centred, and its link has the site's link colour. */
async function checkRegisterLayout(page) {
  const box = await page.locator('.auth-card').boundingBox()
  check(box && box.width <= 440, `register form has a bounded width (${box?.width}px)`)
  const linkColour = await page.locator('.auth-switch a').evaluate((el) => getComputedStyle(el).color)
  check(linkColour === 'rgb(224, 83, 61)', `register page link in the site's link colour (${linkColour})`)
}

/** Every row of a card grid is full: the card count is a multiple of the column count. */
async function checkGrid(page, grid, what) {
  const locator = typeof grid === 'string' ? page.locator(grid).first() : grid
  const { columns, items } = await locator.evaluate((el) => ({
    columns: getComputedStyle(el).gridTemplateColumns.split(' ').filter(Boolean).length,
    items: [...el.children].filter((c) => getComputedStyle(c).display !== 'none').length,
  }))
  // Fewer cards than one row is a single short row, not a ragged grid.
  check(columns > 0 && (items % columns === 0 || items < columns), `${what}: ${items} cards fill whole rows of ${columns}`)
}

/**
 * Types `query` character by character (150 ms apart, a brisk typist) and records the time from
 * the first keystroke to the first suggestion shown, and from the last keystroke to suggestions
 * for the whole query; counts the suggest requests sent and those cancelled by a later keystroke.
 */
async function timeSuggestions(page, input, query) {
  log(`typing "${query}" character by character`)
  const sent = []
  const cancelled = []
  const onRequest = (req) => {
    if (new URL(req.url()).pathname === '/api/search/suggest/') sent.push(new URL(req.url()).searchParams.get('q'))
  }
  const onFailed = (req) => {
    if (new URL(req.url()).pathname === '/api/search/suggest/') cancelled.push(new URL(req.url()).searchParams.get('q'))
  }
  page.on('request', onRequest)
  page.on('requestfailed', onFailed)
  await input.fill('')
  await input.focus()
  const firstShown = page
    .locator('.app-header [data-testid="suggestion"]')
    .first()
    .waitFor({ timeout: 30000 })
    .then(() => Date.now())
  const start = Date.now()
  let lastKey = start
  let spinnerSeen = false
  for (const ch of query) {
    await page.keyboard.type(ch)
    lastKey = Date.now()
    spinnerSeen ||= (await page.locator('.app-header [data-testid="suggest-spinner"]').count()) > 0
    await page.waitForTimeout(KEY_INTERVAL_MS)
  }
  const first = await firstShown
  const full = query.trim()
  await page.waitForFunction(
    (q) => {
      const box = document.querySelector('.app-header .search-box')
      return box && !box.querySelector('[data-testid="suggest-spinner"]') && box.querySelector('[data-testid="suggestion"]') && box.querySelector('input').value.trim() === q
    },
    full,
    { timeout: 30000 },
  )
  const done = Date.now()
  page.off('request', onRequest)
  page.off('requestfailed', onFailed)
  const timing = {
    query,
    keystroke_interval_ms: KEY_INTERVAL_MS,
    first_suggestion_ms: first - start,
    final_suggestions_after_last_key_ms: done - lastKey,
    requests_sent: sent.length,
    requests_cancelled: cancelled.length,
    sent_queries: sent,
    loading_indicator_seen: spinnerSeen,
  }
  log(`time to first suggestion: ${timing.first_suggestion_ms} ms; full query answered ${timing.final_suggestions_after_last_key_ms} ms after the last key; ${sent.length} requests for ${query.length} keystrokes, ${cancelled.length} cancelled`)
  writeFileSync(join(SHOTS, 'suggest-timing.json'), `${JSON.stringify(timing, null, 2)}\n`)
  check(spinnerSeen, 'a loading indicator shows while suggestions load')
  check(sent.at(-1) === full, `the last suggest request is for the whole query (${sent.at(-1)})`)
  await shot(page, 'typed-suggestions')
  await input.fill('')
  await page.keyboard.press('Escape')
  return timing
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`[e2e] FAILED: ${err?.stack ?? err}`)
    process.exit(1)
  },
)
