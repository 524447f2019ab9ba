// A line chart of measurements over time, drawn as inline SVG at the width it is given (so text
// keeps its size): value axis with the unit, time axis with dates, one line and marker per series,
// a tooltip per point, and the same values as a visually hidden table for screen readers.
import { useEffect, useId, useRef, useState } from 'react';
import { formatFhirDate } from '../fhir';
import type { Plot, Series } from '../measurements';

const HEIGHT = 220;
const MARGIN = { top: 24, right: 18, bottom: 34, left: 52 };
const SERIES_STYLES = [
  { className: 'series-0', dash: undefined },
  { className: 'series-1', dash: '6 4' },
  { className: 'series-2', dash: '2 3' },
] as const;

/** Tracks an element's content width. */
function useWidth<T extends HTMLElement>(fallback: number) {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const element = ref.current;
    if (element === null) return;
    const measure = () => setWidth(Math.max(200, Math.floor(element.getBoundingClientRect().width)));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width] as const;
}

/** About `count` round values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) {
    const pad = Math.abs(min) > 0 ? Math.abs(min) * 0.1 : 1;
    return niceTicks(min - pad, max + pad, count);
  }
  const raw = (max - min) / Math.max(1, count - 1);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((factor) => factor * magnitude).find((candidate) => candidate >= raw) ?? raw;
  const ticks: number[] = [];
  for (let value = Math.floor(min / step) * step; value <= max + step * 0.5; value += step) {
    ticks.push(Number(value.toFixed(10)));
    if (ticks.length > 20) break;
  }
  if ((ticks.at(-1) ?? max) < max) ticks.push((ticks.at(-1) ?? max) + step);
  return ticks;
}

const DAY = 86_400_000;

/** Time ticks on round boundaries: years when the span is long, else months, else days. */
function timeTicks(start: number, end: number, maxTicks: number): { time: number; label: string }[] {
  const span = end - start;
  const startDate = new Date(start);
  const ticks: { time: number; label: string }[] = [];
  if (span > 2 * 365 * DAY) {
    const years = span / (365 * DAY);
    const step = [1, 2, 3, 5, 10, 20, 50].find((candidate) => years / candidate <= maxTicks) ?? 100;
    let year = Math.ceil(startDate.getUTCFullYear() / step) * step;
    for (let time = Date.UTC(year, 0, 1); time <= end; year += step, time = Date.UTC(year, 0, 1)) {
      if (time >= start) ticks.push({ time, label: String(year) });
    }
  } else if (span > 45 * DAY) {
    const months = span / (30 * DAY);
    const step = [1, 2, 3, 6, 12].find((candidate) => months / candidate <= maxTicks) ?? 12;
    let year = startDate.getUTCFullYear();
    let month = Math.ceil(startDate.getUTCMonth() / step) * step;
    const format = new Intl.DateTimeFormat(undefined, { month: 'short', year: 'numeric', timeZone: 'UTC' });
    for (;;) {
      if (month >= 12) {
        year += Math.floor(month / 12);
        month %= 12;
      }
      const time = Date.UTC(year, month, 1);
      if (time > end) break;
      if (time >= start) ticks.push({ time, label: format.format(time) });
      month += step;
    }
  } else {
    const days = Math.max(1, span / DAY);
    const step = Math.max(1, Math.ceil(days / maxTicks));
    const format = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
    const first = Date.UTC(startDate.getUTCFullYear(), startDate.getUTCMonth(), startDate.getUTCDate());
    for (let time = first; time <= end; time += step * DAY) {
      if (time >= start) ticks.push({ time, label: format.format(time) });
    }
  }
  return ticks;
}

const formatValue = (value: number): string =>
  new Intl.NumberFormat(undefined, { maximumFractionDigits: Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2 }).format(value);

function latest(series: Series) {
  return series.points[series.points.length - 1];
}

/** What the picture says, in words (the SVG's accessible name). */
function summary(plot: Plot): string {
  const parts = plot.series.map((series) => {
    const first = series.points[0];
    const last = latest(series);
    if (first === undefined || last === undefined) return `${series.label}: no values`;
    const count = series.points.length;
    const range = count === 1 ? `on ${formatFhirDate(first.when)}` : `from ${formatFhirDate(first.when)} to ${formatFhirDate(last.when)}`;
    return `${series.label}: ${count} value${count === 1 ? '' : 's'} ${range}, latest ${formatValue(last.value)} ${last.unit}`.trim();
  });
  return `${plot.title}. ${parts.join('; ')}.`;
}

export function LineChart({ plot }: { plot: Plot }) {
  const [wrap, width] = useWidth<HTMLDivElement>(560);
  const titleId = useId();
  const all = plot.series.flatMap((series) => series.points);
  const times = all.map((point) => point.time);
  const values = all.map((point) => point.value);
  let start = Math.min(...times);
  let end = Math.max(...times);
  if (start === end) {
    start -= 15 * DAY;
    end += 15 * DAY;
  } else {
    const pad = (end - start) * 0.03;
    start -= pad;
    end += pad;
  }
  // A minimum span of 10 % of the level keeps noise (BMI 19.1 → 19.2) from looking like a trend.
  let low = Math.min(...values);
  let high = Math.max(...values);
  const minSpan = Math.abs((low + high) / 2) * 0.1;
  if (high - low < minSpan) {
    const middle = (low + high) / 2;
    low = middle - minSpan / 2;
    high = middle + minSpan / 2;
    if (Math.min(...values) >= 0 && low < 0) [low, high] = [0, high - low];
  }
  const yTicks = niceTicks(low, high);
  const yMin = yTicks[0] ?? 0;
  const yMax = yTicks[yTicks.length - 1] ?? 1;
  const innerWidth = width - MARGIN.left - MARGIN.right;
  const innerHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (time: number) => MARGIN.left + ((time - start) / (end - start)) * innerWidth;
  const y = (value: number) => MARGIN.top + innerHeight - ((value - yMin) / (yMax - yMin || 1)) * innerHeight;
  const xTicks = timeTicks(start, end, Math.max(2, Math.floor(innerWidth / 75)));
  const tickStep = yTicks.length > 1 ? Math.abs((yTicks[1] ?? 0) - (yTicks[0] ?? 0)) : 1;
  const tickDigits = [0, 1, 2, 3].find((digits) => Math.abs(Math.round(tickStep * 10 ** digits) - tickStep * 10 ** digits) < 1e-6) ?? 4;
  const tickFormat = new Intl.NumberFormat(undefined, { minimumFractionDigits: tickDigits, maximumFractionDigits: tickDigits });
  const multi = plot.series.length > 1;

  return (
    <figure className="plot" data-plot={plot.id}>
      <figcaption className="plot-caption">
        <span className="plot-title" id={titleId}>
          {plot.title}
          {plot.unit !== '' && <span className="plot-unit"> ({plot.unit})</span>}
        </span>
        <span className="plot-latest">
          Latest:{' '}
          {plot.series.map((series, index) => {
            const last = latest(series);
            return last === undefined ? null : (
              <span key={series.label}>
                {index > 0 && ' / '}
                {multi && `${series.label} `}
                <strong>{formatValue(last.value)}</strong>
              </span>
            );
          })}
          {plot.unit !== '' && ` ${plot.unit}`}
          {(() => {
            const last = latest(plot.series[0] as Series);
            return last === undefined ? null : <span className="plot-latest-date"> · {formatFhirDate(last.when)}</span>;
          })()}
        </span>
      </figcaption>
      {multi && (
        <ul className="plot-legend" aria-hidden="true">
          {plot.series.map((series, index) => (
            <li key={series.label} className={SERIES_STYLES[index % SERIES_STYLES.length]?.className}>
              <svg width="26" height="10" aria-hidden="true">
                <line x1="1" y1="5" x2="25" y2="5" strokeDasharray={SERIES_STYLES[index % SERIES_STYLES.length]?.dash} />
              </svg>
              {series.label}
            </li>
          ))}
        </ul>
      )}
      <div ref={wrap} className="plot-canvas">
        <svg width={width} height={HEIGHT} viewBox={`0 0 ${width} ${HEIGHT}`} role="img" aria-label={summary(plot)}>
          <g className="plot-grid" aria-hidden="true">
            {yTicks.map((tick) => (
              <g key={tick}>
                <line x1={MARGIN.left} x2={width - MARGIN.right} y1={y(tick)} y2={y(tick)} />
                <text x={MARGIN.left - 6} y={y(tick)} dy="0.32em" textAnchor="end">
                  {tickFormat.format(tick)}
                </text>
              </g>
            ))}
            {xTicks.map((tick) => (
              <g key={tick.time} className="plot-x-tick">
                <line x1={x(tick.time)} x2={x(tick.time)} y1={MARGIN.top + innerHeight} y2={MARGIN.top + innerHeight + 5} />
                <text x={x(tick.time)} y={MARGIN.top + innerHeight + 18} textAnchor="middle">
                  {tick.label}
                </text>
              </g>
            ))}
            <line className="plot-axis" x1={MARGIN.left} x2={width - MARGIN.right} y1={MARGIN.top + innerHeight} y2={MARGIN.top + innerHeight} />
            <line className="plot-axis" x1={MARGIN.left} x2={MARGIN.left} y1={MARGIN.top} y2={MARGIN.top + innerHeight} />
            {plot.unit !== '' && (
              <text className="plot-axis-unit" x={4} y={MARGIN.top - 10} textAnchor="start">
                {plot.unit}
              </text>
            )}
          </g>
          {plot.series.map((series, index) => {
            const style = SERIES_STYLES[index % SERIES_STYLES.length];
            const path = series.points
              .map((point, i) => `${i === 0 ? 'M' : 'L'}${x(point.time).toFixed(1)},${y(point.value).toFixed(1)}`)
              .join(' ');
            return (
              <g key={series.label} className={`plot-series ${style?.className ?? ''}`} data-series={series.code}>
                {series.points.length > 1 && <path d={path} strokeDasharray={style?.dash} />}
                {series.points.map((point, i) => (
                  <circle key={`${point.observationId}-${i}`} className="plot-point" cx={x(point.time)} cy={y(point.value)} r={3.5}>
                    <title>{`${series.label}: ${formatValue(point.value)} ${point.unit} on ${formatFhirDate(point.when)}`}</title>
                  </circle>
                ))}
              </g>
            );
          })}
        </svg>
      </div>
      <table className="visually-hidden">
        <caption>{plot.title} values</caption>
        <thead>
          <tr>
            <th scope="col">Date</th>
            <th scope="col">Measure</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {plot.series.flatMap((series) =>
            series.points.map((point, i) => (
              <tr key={`${series.code}-${point.observationId}-${i}`}>
                <td>{formatFhirDate(point.when)}</td>
                <td>{series.label}</td>
                <td>
                  {formatValue(point.value)} {point.unit}
                </td>
              </tr>
            )),
          )}
        </tbody>
      </table>
    </figure>
  );
}
