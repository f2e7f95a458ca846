import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'

import AsyncBlock from '@/components/AsyncBlock.vue'
import CoverImage from '@/components/CoverImage.vue'
import HighlightedText from '@/components/HighlightedText.vue'
import MalImport from '@/components/MalImport.vue'
import SearchBox from '@/components/SearchBox.vue'
import { ApiError } from '@/api/http'
import { i18n } from '@/i18n'

import { mockFetch, queryOf } from './helpers'

const global = { plugins: [i18n] }

describe('CoverImage', () => {
  it('shows a placeholder when the image fails to load', async () => {
    const wrapper = mount(CoverImage, { props: { src: 'https://example.invalid/a.jpg', title: 'Mushishi' }, global })
    expect(wrapper.find('img').exists()).toBe(true)
    await wrapper.find('img').trigger('error')
    const placeholder = wrapper.find('[data-testid="cover-placeholder"]')
    expect(placeholder.exists()).toBe(true)
    expect(placeholder.attributes('aria-label')).toBe('Mushishi')
    expect(placeholder.text()).toBe('M')
  })

  it('shows a placeholder when there is no cover at all', () => {
    const wrapper = mount(CoverImage, { props: { src: '', title: '進撃の巨人' }, global })
    expect(wrapper.find('img').exists()).toBe(false)
    expect(wrapper.find('[data-testid="cover-placeholder"]').text()).toBe('進')
  })
})

describe('HighlightedText', () => {
  it('renders <em> highlights and nothing else as HTML', () => {
    const wrapper = mount(HighlightedText, { props: { html: '<em>titan</em><img src=x onerror="alert(1)">' }, global })
    expect(wrapper.find('em').text()).toBe('titan')
    expect(wrapper.find('img').exists()).toBe(false)
    expect(wrapper.text()).toContain('<img src=x')
  })
})

describe('AsyncBlock', () => {
  it('shows an error with a retry button instead of a blank screen', async () => {
    const wrapper = mount(AsyncBlock, {
      props: { loading: false, error: new ApiError(0, { code: 'network_error', message: '', extra: {} }) },
      slots: { default: '<p class="content">content</p>' },
      global,
    })
    expect(wrapper.find('.content').exists()).toBe(false)
    expect(wrapper.text()).toContain('The site cannot be reached')
    await wrapper.find('button').trigger('click')
    expect(wrapper.emitted('retry')).toHaveLength(1)
  })

  it('shows the content when loaded', () => {
    const wrapper = mount(AsyncBlock, { props: { loading: false }, slots: { default: '<p class="content">ok</p>' }, global })
    expect(wrapper.find('.content').text()).toBe('ok')
  })
})

describe('SearchBox', () => {
  const suggestions = {
    degraded: false,
    results: [
      { id: 6280, mal_id: 16498, title: '进击的巨人', matched: '進撃の巨人', type: 'TV', year: 2013, cover_url: '' },
      { id: 11207, mal_id: 25777, title: '进击的巨人 第二季', matched: '進撃の巨人 Season2', type: 'TV', year: 2017, cover_url: '' },
    ],
  }

  async function typeInto(wrapper: ReturnType<typeof mount>, value: string) {
    const input = wrapper.find('input')
    ;(input.element as HTMLInputElement).value = value
    await input.trigger('input')
  }

  it('asks for suggestions once typing pauses, in any script', async () => {
    vi.useFakeTimers()
    const { calls } = mockFetch(() => ({ body: suggestions }))
    const wrapper = mount(SearchBox, { props: { debounceMs: 200 }, global, attachTo: document.body })
    await typeInto(wrapper, '進')
    await typeInto(wrapper, '進撃')
    await typeInto(wrapper, '進撃の')
    vi.advanceTimersByTime(199)
    expect(calls).toHaveLength(0)
    vi.advanceTimersByTime(1)
    await flushPromises()
    expect(calls).toHaveLength(1)
    expect(queryOf(calls[0]?.url ?? '').get('q')).toBe('進撃の')
    const options = wrapper.findAll('[role="option"]')
    expect(options).toHaveLength(2)
    expect(options[0]?.text()).toContain('进击的巨人')
    expect(options[0]?.text()).toContain('進撃の巨人')
    wrapper.unmount()
  })

  it('selects the highlighted suggestion with the arrow keys and Enter', async () => {
    vi.useFakeTimers()
    mockFetch(() => ({ body: suggestions }))
    const wrapper = mount(SearchBox, { props: { debounceMs: 50 }, global, attachTo: document.body })
    await typeInto(wrapper, 'shingeki')
    vi.advanceTimersByTime(50)
    await flushPromises()
    const input = wrapper.find('input')
    await input.trigger('keydown', { key: 'ArrowDown' })
    await input.trigger('keydown', { key: 'ArrowDown' })
    expect(input.attributes('aria-activedescendant')).toMatch(/-opt-1$/)
    await input.trigger('keydown', { key: 'Enter' })
    expect(wrapper.emitted('select')?.[0]?.[0]).toMatchObject({ id: 11207 })
    expect(wrapper.emitted('submit')).toBeUndefined()
    wrapper.unmount()
  })

  it('submits the text when nothing is highlighted', async () => {
    vi.useFakeTimers()
    const { calls } = mockFetch(() => ({ body: suggestions }))
    const wrapper = mount(SearchBox, { props: { debounceMs: 200 }, global })
    await typeInto(wrapper, ' 进击的巨人 ')
    await wrapper.find('input').trigger('keydown', { key: 'Enter' })
    expect(wrapper.emitted('submit')?.[0]).toEqual(['进击的巨人'])
    vi.advanceTimersByTime(500)
    await flushPromises()
    expect(calls).toHaveLength(0)
  })
})

describe('MalImport', () => {
  it('uploads the export, polls the job until it is done and shows the summary', async () => {
    vi.useFakeTimers()
    const states = [
      { status: 'running', processed: 1, total: 3, progress: 0.333, summary: {} },
      { status: 'succeeded', processed: 3, total: 3, progress: 1, summary: { imported: 2, updated: 0, unknown: 1, conflicts: 0 } },
    ]
    const { calls } = mockFetch((req) => {
      if (req.method === 'POST') return { status: 202, body: { id: 7, status: 'pending', processed: 0, total: 3, progress: 0, summary: {} } }
      return { body: { id: 7, ...states.shift() } }
    })
    const wrapper = mount(MalImport, { props: { pollMs: 1000 }, global })
    const input = wrapper.find('input[type="file"]')
    const file = new File(['<myanimelist/>'], 'animelist.xml', { type: 'text/xml' })
    Object.defineProperty(input.element, 'files', { value: [file] })
    await input.trigger('change')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(wrapper.text()).toContain('Importing')
    expect(wrapper.text()).toContain('1 of 3 entries')
    vi.advanceTimersByTime(1000)
    await flushPromises()
    const summary = wrapper.find('[data-testid="mal-summary"]').text()
    expect(summary).toContain('Added: 2')
    expect(summary).toContain('Unknown anime: 1')
    expect(wrapper.emitted('done')).toHaveLength(1)
    expect(calls.map((c) => c.method)).toEqual(['POST', 'GET', 'GET'])
    vi.advanceTimersByTime(5000)
    await flushPromises()
    expect(calls).toHaveLength(3)
  })

  it('shows why the server refused the file', async () => {
    mockFetch(() => ({
      status: 400,
      body: { code: 'malformed', message: 'Not a MyAnimeList export.', extra: { fields: { file: ['Not a MyAnimeList export.'] } } },
    }))
    const wrapper = mount(MalImport, { global })
    const input = wrapper.find('input[type="file"]')
    Object.defineProperty(input.element, 'files', { value: [new File(['x'], 'list.xml')] })
    await input.trigger('change')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(wrapper.find('[data-testid="mal-error"]').text()).toContain('Not a MyAnimeList export.')
  })
})
