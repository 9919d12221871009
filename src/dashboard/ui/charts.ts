/** ECharts, with only the chart kinds the page uses (the bundle stays small). */
import { BarChart, LineChart, MapChart, PieChart } from 'echarts/charts';
import {
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import iso from 'iso-3166-1';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import world from 'world-atlas/countries-110m.json' with { type: 'json' };
import { el, type Row } from './dom.js';
import * as fmt from './format.js';
import { addFilter } from './state.js';

echarts.use([
  BarChart,
  LineChart,
  PieChart,
  MapChart,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
  MarkLineComponent,
  CanvasRenderer,
]);

const topo = world as unknown as Topology<{ countries: GeometryCollection<{ name: string }> }>;
echarts.registerMap(
  'world',
  feature(topo, topo.objects.countries) as unknown as Parameters<typeof echarts.registerMap>[1],
);

/** Records without an action: NODATA and SKIPDATA ones. */
const NO_ACTION = 'NODATA/SKIPDATA';
const COLORS = ['#2f6fdf', '#d9534f', '#3a9d5d', '#e0a526', '#7b5bd6', '#1aa3b8', '#c75b9b', '#6b7785'];
const ACTION_COLORS: Record<string, string> = {
  ACCEPT: '#3a9d5d',
  REJECT: '#d9534f',
  [NO_ACTION]: '#9aa3af',
};

const charts: echarts.ECharts[] = [];

window.addEventListener('resize', () => {
  for (const c of charts) c.resize();
});

/** Disposes the charts of a panel before it renders again. */
export function disposeIn(root: HTMLElement): void {
  for (let i = charts.length - 1; i >= 0; i--) {
    const c = charts[i]!;
    if (root.contains(c.getDom())) {
      c.dispose();
      charts.splice(i, 1);
    }
  }
}

/** Charts waiting for their box to be in the page (ECharts needs its size). */
const pending: Array<() => void> = [];

/** Draws the charts whose boxes the caller has just put in the page. */
export function drawPending(): void {
  for (const draw of pending.splice(0)) draw();
}

function mount(
  option: echarts.EChartsCoreOption,
  height = 240,
  onClick?: (p: echarts.ECElementEvent) => void,
): HTMLElement {
  const box = el('div', { class: 'chart', style: `height:${height}px` });
  pending.push(() => {
    if (!box.isConnected) return;
    const chart = echarts.init(box, undefined, { renderer: 'canvas' });
    chart.setOption({ color: COLORS, animation: false, textStyle: { fontFamily: 'inherit' }, ...option });
    if (onClick) chart.on('click', onClick);
    charts.push(chart);
  });
  return box;
}

export type Measure = 'bytes' | 'packets' | 'records';

const measureFormat = (m: Measure): ((v: number) => string) => (m === 'bytes' ? fmt.bytes : fmt.count);

/**
 * Horizontal bars: one per row, labelled by `label(row)`; a click adds `field` = row[field] as a
 * filter (every field of `filterFields` when given).
 */
export function bars(
  rows: readonly Row[],
  field: string,
  measure: Measure,
  label?: (r: Row) => string,
): HTMLElement {
  const data = [...rows].reverse();
  const labels = data.map((r) => (label ? label(r) : fmt.value(field, r[field])));
  const f = measureFormat(measure);
  return mount(
    {
      grid: { left: 8, right: 64, top: 8, bottom: 24 },
      tooltip: {
        trigger: 'item',
        formatter: (p: { name: string; value: number }) => `${p.name}<br>${f(p.value)}`,
      },
      xAxis: { type: 'value', axisLabel: { formatter: (v: number) => f(v) }, splitNumber: 3 },
      yAxis: { type: 'category', data: labels, axisLabel: { width: 150, overflow: 'truncate' } },
      series: [
        {
          type: 'bar',
          data: data.map((r) => Number(r[measure] ?? 0)),
          label: { show: true, position: 'right', formatter: (p: { value: number }) => f(p.value) },
          cursor: 'pointer',
        },
      ],
    },
    Math.max(120, 26 * data.length + 30),
    (p) => {
      const row = data[p.dataIndex];
      if (row) addFilter(field, row[field]);
    },
  );
}

/** A pie of a measure by `field`; a click filters. */
export function pie(rows: readonly Row[], field: string, measure: Measure): HTMLElement {
  const f = measureFormat(measure);
  return mount(
    {
      tooltip: {
        trigger: 'item',
        formatter: (p: { name: string; value: number; percent: number }) =>
          `${p.name}<br>${f(p.value)} (${p.percent} %)`,
      },
      legend: { type: 'scroll', orient: 'vertical', right: 0, top: 'middle' },
      series: [
        {
          type: 'pie',
          radius: ['40%', '70%'],
          center: ['35%', '50%'],
          label: { show: false },
          data: rows.map((r) => ({ name: fmt.value(field, r[field]), value: Number(r[measure] ?? 0) })),
        },
      ],
    },
    undefined,
    (p) => {
      const row = rows[p.dataIndex];
      if (row) addFilter(field, row[field]);
    },
  );
}

export interface Marker {
  readonly at: number;
  readonly title: string;
}

/**
 * A time series stacked by action (ACCEPT/REJECT): `value(row)` per bucket; alert markers as
 * vertical lines. A click on a series filters by its action.
 */
export function actionSeries(
  rows: readonly Row[],
  measure: Measure,
  value: (r: Row) => number = (r) => Number(r[measure] ?? 0),
  markers: readonly Marker[] = [],
  format: (v: number) => string = measureFormat(measure),
): HTMLElement {
  const times = [...new Set(rows.map((r) => Number(r.t)))].sort((a, b) => a - b);
  const actions = [...new Set(rows.map((r) => String(r.action ?? NO_ACTION)))].sort();
  const index = new Map(times.map((t, i) => [t, i]));
  const series = actions.map((a) => {
    const data = times.map((t) => [t * 1000, 0] as [number, number]);
    for (const r of rows)
      if (String(r.action ?? NO_ACTION) === a) data[index.get(Number(r.t))!]![1] = value(r);
    return {
      name: a,
      type: 'line',
      stack: 'total',
      areaStyle: { opacity: 0.35 },
      showSymbol: false,
      data,
      ...(ACTION_COLORS[a]
        ? { itemStyle: { color: ACTION_COLORS[a] }, lineStyle: { color: ACTION_COLORS[a] } }
        : {}),
    };
  });
  if (markers.length > 0 && series[0]) {
    Object.assign(series[0], {
      markLine: {
        symbol: 'none',
        label: { formatter: (p: { name: string }) => p.name, fontSize: 10 },
        lineStyle: { color: '#b35c00', type: 'dashed' },
        data: markers.map((m) => ({ name: m.title, xAxis: m.at * 1000 })),
      },
    });
  }
  return mount(
    {
      grid: { left: 8, right: 16, top: 32, bottom: 24 },
      legend: { top: 0 },
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => format(v) },
      xAxis: { type: 'time' },
      yAxis: { type: 'value', axisLabel: { formatter: (v: number) => format(v) } },
      series,
    },
    undefined,
    (p) => {
      if (p.seriesName && p.seriesName !== NO_ACTION) addFilter('action', p.seriesName);
    },
  );
}

function countryName(code: string): string | undefined {
  const c = iso.whereAlpha2(code);
  if (!c) return undefined;
  const feat = topo.objects.countries.geometries.find((g) => Number(g.id) === Number(c.numeric));
  return feat?.properties && 'name' in feat.properties ? feat.properties.name : undefined;
}

/** A world map of bytes per country (ISO alpha-2 codes); a click filters by that country. */
export function worldMap(rows: readonly Row[], field: 'src_country' | 'dst_country'): HTMLElement {
  const byName = new Map<string, Row>();
  const data = rows.flatMap((r) => {
    const name = countryName(String(r.country));
    if (!name) return [];
    byName.set(name, r);
    return [{ name, value: Number(r.bytes ?? 0), rejected: Number(r.rejected ?? 0) }];
  });
  const max = Math.max(1, ...data.map((d) => d.value));
  return mount(
    {
      tooltip: {
        trigger: 'item',
        formatter: (p: { name: string; value: number; data?: { rejected: number } }) =>
          p.data
            ? `${p.name}<br>${fmt.bytes(p.value)}<br>${fmt.count(p.data.rejected)} rejected records`
            : p.name,
      },
      visualMap: {
        min: 0,
        max,
        left: 8,
        bottom: 8,
        calculable: false,
        text: ['more bytes', 'fewer'],
        inRange: { color: ['#dbe7fb', '#2f6fdf', '#102d66'] },
        formatter: (v: number) => fmt.bytes(v),
      },
      series: [
        {
          type: 'map',
          map: 'world',
          roam: false,
          emphasis: { label: { show: false } },
          itemStyle: { areaColor: '#eef0f3', borderColor: '#b8bec7', borderWidth: 0.5 },
          data,
        },
      ],
    },
    340,
    (p) => {
      const row = byName.get(p.name);
      if (row) addFilter(field, row.country);
    },
  );
}
