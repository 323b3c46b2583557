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
  const observer = new ResizeObserver(() => chart.resize());
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
