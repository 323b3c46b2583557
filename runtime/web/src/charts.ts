// Apache ECharts, only the parts the view draws (the bundle stays small):
// Sankey, line, bar, scatter and heat map series, canvas rendering. Every
// chart goes through mountChart so that it resizes with the page and is
// disposed with it.

import * as echarts from 'echarts/core';
import { BarChart, HeatmapChart, LineChart, SankeyChart, ScatterChart } from 'echarts/charts';
import {
  AriaComponent,
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([
  BarChart,
  HeatmapChart,
  LineChart,
  SankeyChart,
  ScatterChart,
  AriaComponent,
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

export type Chart = echarts.ECharts;
export type Option = echarts.EChartsCoreOption;

const PALETTE = ['#3b82f6', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#06b6d4', '#ec4899', '#84cc16', '#64748b'];

// Tooltips are drawn on the canvas (richText), not as HTML: no markup
// from data reaches the DOM, and the Content-Security-Policy needs no
// inline styles.
export const baseOption = {
  animation: false,
  color: PALETTE,
  textStyle: { fontFamily: 'system-ui, sans-serif' },
  tooltip: { renderMode: 'richText', confine: true },
  aria: { enabled: true },
};

export function mountChart(el: HTMLElement, label: string): Chart {
  el.setAttribute('role', 'img');
  el.setAttribute('aria-label', label);
  const chart = echarts.init(el, undefined, { renderer: 'canvas' });
  // ECharts 6 lays a Sankey out in a view whose transform it inverts: a
  // container of no size (hidden, or being laid out) makes that matrix
  // singular and ECharts throws. Such a chart is drawn once it has a size.
  const hasSize = () => el.clientWidth > 0 && el.clientHeight > 0;
  let pending: { option: Option; opts: unknown } | null = null;
  const setOption = chart.setOption.bind(chart) as (o: Option, opts?: unknown) => void;
  const draw = (option: Option, opts?: unknown) => {
    if (!hasSize()) {
      pending = { option, opts };
      return;
    }
    pending = null;
    try {
      setOption(option, opts);
    } catch (e) {
      console.warn(`chart "${label}" not drawn this time:`, e);
    }
  };
  (chart as { setOption: unknown }).setOption = draw;
  const observer = new ResizeObserver(() => {
    if (!hasSize()) return;
    try {
      chart.resize();
      if (pending) draw(pending.option, pending.opts);
    } catch (e) {
      console.warn(`chart "${label}" not resized this time:`, e);
    }
  });
  observer.observe(el);
  const dispose = chart.dispose.bind(chart);
  chart.dispose = () => {
    observer.disconnect();
    dispose();
  };
  return chart;
}

export function protoColor(proto: string, all: string[]): string {
  const i = all.indexOf(proto);
  return PALETTE[(i < 0 ? all.length : i) % PALETTE.length];
}
