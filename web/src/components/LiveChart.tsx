// A live time chart (uPlot). The chart is made once per series layout and then fed new data in place, so a
// station's update costs a redraw, not a new canvas.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  stroke: string;
  dash?: number[];
}

interface Props {
  title: string;
  /** The latest values in words: the canvas says nothing to a screen reader, and a test can read it. */
  summary: string;
  /** Keep this array stable (a module constant): a new one makes a new chart. */
  series: readonly ChartSeries[];
  /** uPlot's aligned data: times in seconds first, then one array per series. */
  data: uPlot.AlignedData;
  /** Start the y axis at zero (counts and power); temperatures range freely. */
  fromZero?: boolean;
  /** Counts: ticks on whole numbers only. */
  integer?: boolean;
  height?: number;
}

const MIN_WIDTH = 220;
const WHOLE = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000];
const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
/** Clock times only: uPlot's default adds a second row with the date, which overlaps on a narrow chart. */
const clockTicks = (_u: uPlot, splits: number[]) => splits.map((t) => clock.format(t * 1000));
/** A single sample would stretch the time axis over years: show a couple of minutes around it instead. */
const timeRange: uPlot.Range.Function = (_u, min, max) => (min === max ? [min - 60, max + 60] : [min, max]);

export function LiveChart({ title, summary, series, data, fromZero = false, integer = false, height = 170 }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(data);
  latest.current = data;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = () => Math.max(MIN_WIDTH, el.clientWidth);
    const u = new uPlot(
      {
        width: width(),
        height,
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: { time: true, range: timeRange },
          y: fromZero ? { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } : {},
        },
        axes: [{ space: 70, values: clockTicks }, integer ? { size: 46, incrs: WHOLE } : { size: 46 }],
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, dash: s.dash, spanGaps: true }))],
      },
      latest.current,
      el,
    );
    plot.current = u;
    // The chart follows its box: the grid of charts reflows between a phone and a desktop.
    const ro = new ResizeObserver(() => {
      if (u.width !== width()) u.setSize({ width: width(), height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [series, height, fromZero, integer]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return (
    <figure className="st-chart" data-points={data[0]?.length ?? 0}>
      <figcaption>
        <span className="st-chart-title">{title}</span> <span className="st-chart-now">{summary}</span>
      </figcaption>
      <div ref={box} className="st-chart-box" role="img" aria-label={`${title}: ${summary}`} />
    </figure>
  );
}
