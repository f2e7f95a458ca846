/**
 * ECharts options for the statistics page, built from the API's figures. Pure functions: the
 * labels come in already translated, so the same figures chart in every language.
 */
import type { ComposeOption } from 'echarts/core'
import type { BarSeriesOption, PieSeriesOption } from 'echarts/charts'
import type { GridComponentOption, LegendComponentOption, TooltipComponentOption } from 'echarts/components'

import type { CollectionStatistics } from '@/api/types'

export type StatsChartOption = ComposeOption<
  BarSeriesOption | PieSeriesOption | GridComponentOption | TooltipComponentOption | LegendComponentOption
>

const STATUS_COLOURS: Record<string, string> = {
  watching: '#409eff',
  completed: '#67c23a',
  on_hold: '#e6a23c',
  dropped: '#f56c6c',
  want_to_watch: '#909399',
  '': '#c0c4cc',
}

/** Statuses as a doughnut; statuses nobody uses are left out. */
export function statusChart(stats: CollectionStatistics, label: (status: string) => string): StatsChartOption {
  return {
    tooltip: { trigger: 'item', formatter: '{b}: {c} ({d}%)' },
    legend: { bottom: 0, type: 'scroll' },
    series: [
      {
        type: 'pie',
        radius: ['40%', '68%'],
        center: ['50%', '44%'],
        avoidLabelOverlap: true,
        label: { show: false },
        data: stats.statuses
          .filter((row) => row.count > 0)
          .map((row) => ({
            name: label(row.status),
            value: row.count,
            itemStyle: { color: STATUS_COLOURS[row.status] ?? '#c0c4cc' },
          })),
      },
    ],
  }
}

/** How many anime got each score from 1 to 10. */
export function scoreChart(stats: CollectionStatistics, axisName: string): StatsChartOption {
  return {
    tooltip: { trigger: 'axis' },
    grid: { left: 40, right: 16, top: 24, bottom: 32 },
    xAxis: { type: 'category', data: stats.scores.map((row) => String(row.score)) },
    yAxis: { type: 'value', minInterval: 1, name: axisName },
    series: [{ type: 'bar', data: stats.scores.map((row) => row.count), itemStyle: { color: '#e6a23c' } }],
  }
}

/** The most listed genres, most listed on top. */
export function genreChart(stats: CollectionStatistics, label: (genre: string) => string): StatsChartOption {
  const rows = [...stats.genres].reverse()
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', data: rows.map((row) => label(row.name)) },
    series: [{ type: 'bar', data: rows.map((row) => row.count), itemStyle: { color: '#409eff' } }],
  }
}
