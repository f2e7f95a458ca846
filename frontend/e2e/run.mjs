// End-to-end run of the site in real Chromium against the real backend (see scripts/e2e.sh).
//
//   E2E_BASE_URL=http://127.0.0.1:8010 node e2e/run.mjs
//
// A new user registers, picks favourites during onboarding, sees the recommendations change,
// searches in Japanese and Chinese, opens an anime, favourites and scores it, browses rankings,
// edits the collection and imports a MyAnimeList export, switches language, logs out, and sees
// the wrong-password dialog. Every page is saved as a screenshot under e2e/screenshots/.
// The browser may talk to the loopback server only: every other request is aborted.
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

const username = `e2e_${Date.now().toString(36)}`
const password = 'Titan-e2e-2013'

const t0 = Date.now()
let shotIndex = 0
const blocked = new Set()
const pageErrors = []

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
    viewport: { width: 1280, height: 860 },
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
  await shot(page, 'home-anonymous')
  await catalogPages(page)

  // --- register -----------------------------------------------------------------------------
  log(`register ${username}`)
  await page.getByTestId('nav-register').click()
  await page.waitForURL('**/register')
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
  const picked = await page.locator('.choice.picked').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-anime-id'))))
  check(picked.length === 4, `four anime picked (got ${picked.length})`)
  await shot(page, 'onboarding')
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
  const dropped = shownIds[0]
  await answered(page, 'POST', '/api/recommendations/not-interested/', async () => {
    await page.locator(`[data-testid="recommendation"][data-anime-id="${dropped}"] [data-testid="not-interested"]`).click()
    await page.locator(`[data-testid="recommendation"][data-anime-id="${dropped}"]`).waitFor({ state: 'detached' })
  })
  const afterDrop = await apiGet(page, '/api/recommendations/?limit=40')
  check(afterDrop.body.results.every((r) => r.id !== dropped), '"not interested" keeps the anime out of recommendations')

  // --- search in Japanese, then Chinese; the URL keeps the query ------------------------------
  log('search 進撃の巨人')
  const headerSearch = page.locator('.app-header [data-testid="search-input"]')
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

  // --- language switch, remembered ------------------------------------------------------------
  log('language switch')
  await page.getByTestId('lang-en').click()
  await page.getByRole('heading', { name: 'My collection' }).waitFor()
  await page.reload()
  await page.getByRole('heading', { name: 'My collection' }).waitFor()
  check((await page.getByTestId('footer').innerText()).includes('Anime data: bangumi-data (CC BY 4.0)'), 'English footer attribution')

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
  await page.setViewportSize({ width: 1280, height: 860 })

  // --- an API failure shows an error state, not a blank page -----------------------------------
  log('error state')
  await page.route('**/api/home/', (route) => route.fulfill({ status: 503, contentType: 'text/html', body: 'down' }))
  await page.goto(`${BASE}/`)
  await page.getByTestId('error-state').waitFor()
  await page.unroute('**/api/home/')
  await page.getByTestId('error-state').getByRole('button').click()
  await page.locator('.home-section').first().waitFor()

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
    await page.locator('#login-password').press('Enter')
    const dialog = page.locator('.invalid-credentials-dialog')
    await dialog.waitFor()
    check((await dialog.locator('.el-message-box__message').innerText()).trim() === text, `dialog says "${text}"`)
    await shot(page, `wrong-password-${lang}`)
    await dialog.locator('.el-message-box__btns button').click()
    await dialog.waitFor({ state: 'hidden' })
    check(new URL(page.url()).pathname === '/login', 'back on the login form')
    check((await page.locator('#login-password').inputValue()) === '', 'password field cleared')
    check((await page.locator('#login-username').inputValue()) === username, 'username kept')
    await page.waitForFunction(() => document.activeElement?.id === 'login-password')
  }

  log('log in again with the right password')
  await page.locator('#login-password').fill(password)
  await page.locator('#login-password').press('Enter')
  await page.getByTestId('avatar-name').filter({ hasText: username }).waitFor()
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`[e2e] FAILED: ${err?.stack ?? err}`)
    process.exit(1)
  },
)
