/** A bar chart (ECharts, SVG renderer: the bars are elements a test and a screen reader can find). */
import { BarChart as Bars } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

echarts.use([Bars, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

export interface Series {
  name: string;
  /** One height per label (display only). */
  values: number[];
  /** What a bar's tooltip says (the exact amount). */
  labels: string[];
}

export function BarChart({ labels, series, testId, ariaLabel }: { labels: string[]; series: Series[]; testId?: string; ariaLabel: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const chart = echarts.init(ref.current!, undefined, { renderer: 'svg' });
    chart.setOption({
      animation: false,
      tooltip: { trigger: 'item', formatter: (p: { seriesIndex: number; dataIndex: number; name: string; seriesName: string }) => `${p.name}<br/>${p.seriesName}: ${series[p.seriesIndex]!.labels[p.dataIndex]}` },
      legend: { top: 0 },
      grid: { left: 80, right: 24, top: 40, bottom: 80 },
      xAxis: { type: 'category', data: labels, axisLabel: { interval: 0, rotate: labels.length > 4 ? 30 : 0 } },
      yAxis: { type: 'value' },
      series: series.map((s) => ({ type: 'bar', name: s.name, data: s.values })),
    });
    const resize = () => chart.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.dispose();
    };
  }, [labels, series]);
  return <div ref={ref} data-testid={testId} role="img" aria-label={ariaLabel} style={{ width: '100%', height: 360 }} />;
}
