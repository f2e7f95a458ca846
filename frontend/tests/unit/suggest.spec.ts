import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'

import SearchBox from '@/components/SearchBox.vue'
import { i18n } from '@/i18n'
import { createSuggestClient, normalizeQuery } from '@/utils/suggestClient'

import { mockFetch, pathOf, queryOf } from './helpers'

/** A fetch whose answers the test releases by hand; records the signals it got. */
function controlledFetch() {
  const started: { q: string; signal: AbortSignal; resolve: (v: string) => void }[] = []
  const fetch = (q: string, signal: AbortSignal) =>
    new Promise<string>((resolve, reject) => {
      started.push({ q, signal, resolve })
      signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))
    })
  return { started, fetch }
}

describe('createSuggestClient', () => {
  it('normalises queries the way the server compares them', () => {
    expect(normalizeQuery('  Steins;Gate  ')).toBe('steins;gate')
    expect(normalizeQuery('ＳＴＥＩＮＳ　 gate')).toBe('steins gate')
  })

  it('coalesces callers of one query into one request', async () => {
    const { started, fetch } = controlledFetch()
    const client = createSuggestClient({ fetch })
    const a = client.get('steins')
    const b = client.get(' Steins ')
    expect(started).toHaveLength(1)
    started[0]?.resolve('answer')
    await expect(a).resolves.toBe('answer')
    await expect(b).resolves.toBe('answer')
  })

  it('rejects a superseded caller at once and cancels the request nobody waits for', async () => {
    const { started, fetch } = controlledFetch()
    const client = createSuggestClient({ fetch })
    const first = new AbortController()
    const p = client.get('stein', first.signal)
    first.abort()
    await expect(p).rejects.toMatchObject({ name: 'AbortError' })
    expect(started[0]?.signal.aborted).toBe(true)
    expect(client.inFlight).toBe(0)
  })

  it('keeps a shared request alive while another caller still waits', async () => {
    const { started, fetch } = controlledFetch()
    const client = createSuggestClient({ fetch })
    const gone = new AbortController()
    const p1 = client.get('gate', gone.signal)
    const p2 = client.get('gate')
    gone.abort()
    await expect(p1).rejects.toMatchObject({ name: 'AbortError' })
    expect(started[0]?.signal.aborted).toBe(false)
    started[0]?.resolve('kept')
    await expect(p2).resolves.toBe('kept')
  })

  it('answers a query seen before from memory, until it expires; keeps no uncacheable answer', async () => {
    let clock = 0
    let calls = 0
    const client = createSuggestClient<string>({
      fetch: async (q) => {
        calls += 1
        return q === 'bad' ? 'degraded' : `answer ${q}`
      },
      ttlMs: 1000,
      now: () => clock,
      cacheable: (v) => v !== 'degraded',
    })
    await client.get('titan')
    await client.get('TITAN')
    expect(calls).toBe(1)
    expect(client.peek('titan')).toBe('answer titan')
    clock = 1001
    expect(client.peek('titan')).toBeUndefined()
    await client.get('titan')
    expect(calls).toBe(2)
    await client.get('bad')
    await client.get('bad')
    expect(calls).toBe(4)
  })

  it('forgets the least recently used answers past maxEntries', async () => {
    const client = createSuggestClient<string>({ fetch: async (q) => q, maxEntries: 2 })
    await client.get('a')
    await client.get('b')
    client.peek('a') // a is now more recent than b
    await client.get('c')
    expect(client.peek('a')).toBe('a')
    expect(client.peek('b')).toBeUndefined()
    expect(client.peek('c')).toBe('c')
  })
})

describe('SearchBox typing', () => {
  const global = { plugins: [i18n] }
  const answer = (q: string) => ({
    degraded: false,
    results: [{ id: 1, mal_id: 9253, title: `Steins;Gate (${q})`, matched: '', type: 'TV', year: 2011, cover_url: '' }],
  })

  async function typeInto(wrapper: ReturnType<typeof mount>, value: string) {
    const input = wrapper.find('input')
    ;(input.element as HTMLInputElement).value = value
    await input.trigger('input')
  }

  it('never queues superseded keystrokes: one request at a time, then only the latest text', async () => {
    vi.useFakeTimers()
    const signals: AbortSignal[] = []
    const { calls } = mockFetch(
      (req) =>
        new Promise((resolve) => {
          const q = queryOf(req.url).get('q') ?? ''
          setTimeout(() => resolve({ body: answer(q) }), 1000)
        }),
    )
    const recordingFetch = globalThis.fetch
    vi.stubGlobal('fetch', (input: RequestInfo | URL, init: RequestInit = {}) => {
      if (init.signal) signals.push(init.signal)
      return recordingFetch(input, init)
    })
    const wrapper = mount(SearchBox, { props: { debounceMs: 100 }, global, attachTo: document.body })
    const titles = () => wrapper.findAll('[role="option"]').map((o) => o.find('.search-box-title').text())
    const spinner = () => wrapper.find('[data-testid="suggest-spinner"]').exists()

    await typeInto(wrapper, 'st')
    // loading shows at once, before the debounce has passed
    expect(spinner()).toBe(true)
    expect(wrapper.find('[data-testid="suggest-loading"]').exists()).toBe(true)
    vi.advanceTimersByTime(100)
    await flushPromises()
    expect(calls).toHaveLength(1)

    // more keystrokes while "st" is on its way: nothing is sent yet, nothing is queued
    await typeInto(wrapper, 'ste')
    vi.advanceTimersByTime(100)
    await typeInto(wrapper, 'stei')
    vi.advanceTimersByTime(100)
    await flushPromises()
    expect(calls).toHaveLength(1)
    expect(signals[0]?.aborted).toBe(false)

    // "st" answers: its suggestions show at once, and only the latest text is asked next
    vi.advanceTimersByTime(800)
    await flushPromises()
    expect(titles()).toEqual(['Steins;Gate (st)'])
    expect(spinner()).toBe(true)
    expect(calls.map((c) => queryOf(c.url).get('q'))).toEqual(['st', 'stei'])
    vi.advanceTimersByTime(1000)
    await flushPromises()
    expect(titles()).toEqual(['Steins;Gate (stei)'])
    expect(spinner()).toBe(false)

    // a request for text that is no longer a prefix of the field is cancelled at once
    await typeInto(wrapper, 'steins')
    vi.advanceTimersByTime(100)
    await flushPromises()
    expect(calls).toHaveLength(3)
    await typeInto(wrapper, 'gate')
    expect(signals[2]?.aborted).toBe(true)
    vi.advanceTimersByTime(100)
    await flushPromises()
    expect(calls.map((c) => queryOf(c.url).get('q'))).toEqual(['st', 'stei', 'steins', 'gate'])
    vi.advanceTimersByTime(1000)
    await flushPromises()
    expect(titles()).toEqual(['Steins;Gate (gate)'])
    wrapper.unmount()
  })

  it('shows no spinner for text it was given rather than typed, and asks nothing for it', async () => {
    vi.useFakeTimers()
    const { calls } = mockFetch((req) => ({ body: answer(queryOf(req.url).get('q') ?? '') }))
    const wrapper = mount(SearchBox, { props: { modelValue: 'frieren', debounceMs: 100 }, global, attachTo: document.body })
    const spinner = () => wrapper.find('[data-testid="suggest-spinner"]').exists()
    expect((wrapper.find('input').element as HTMLInputElement).value).toBe('frieren')
    expect(spinner()).toBe(false)

    // the page's query changes (back button, a link): still nothing typed, nothing loading
    await wrapper.setProps({ modelValue: 'naruto' })
    vi.advanceTimersByTime(1000)
    await flushPromises()
    expect(spinner()).toBe(false)
    expect(wrapper.find('[role="listbox"]').isVisible()).toBe(false)
    expect(calls).toHaveLength(0)

    // typing after that asks as usual
    await typeInto(wrapper, 'narutoo')
    expect(spinner()).toBe(true)
    vi.advanceTimersByTime(100)
    await flushPromises()
    expect(calls).toHaveLength(1)
    expect(spinner()).toBe(false)
    wrapper.unmount()
  })

  it('answers a prefix seen before from memory, without a request or a wait', async () => {
    vi.useFakeTimers()
    const { calls } = mockFetch((req) => ({ body: answer(queryOf(req.url).get('q') ?? '') }))
    const wrapper = mount(SearchBox, { props: { debounceMs: 100 }, global, attachTo: document.body })
    await typeInto(wrapper, 'stei')
    vi.advanceTimersByTime(100)
    await flushPromises()
    await typeInto(wrapper, 'stein')
    vi.advanceTimersByTime(100)
    await flushPromises()
    expect(calls.filter((c) => pathOf(c.url) === '/api/search/suggest/')).toHaveLength(2)

    // backspace: "stei" again shows its suggestions at once
    await typeInto(wrapper, 'stei')
    expect(wrapper.find('[data-testid="suggest-spinner"]').exists()).toBe(false)
    expect(wrapper.find('.search-box-title').text()).toBe('Steins;Gate (stei)')
    vi.advanceTimersByTime(500)
    await flushPromises()
    expect(calls).toHaveLength(2)
    wrapper.unmount()
  })
})
