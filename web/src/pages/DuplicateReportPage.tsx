// Duplicate-rate report (patients.merge): the AHIMA figures of the master patient index — registry
// size, open duplicate pairs and the duplicate rate — and, month by month, the duplicate creation
// rate and the registrations, duplicates created and merges behind it.
import { useEffect, useState } from 'react';
import { getDuplicateReport, type DuplicateReport, type DuplicateReportMonth } from '../api';
import { ErrorAlert } from '../components/Alert';
import { LineChart } from '../components/LineChart';
import { SelectField } from '../components/SelectField';
import { fhirTime, formatFhirDate } from '../fhir';
import { formatCount } from '../format';
import type { Plot, Series } from '../measurements';
import { formatRate } from '../mpi';
import { usePageTitle } from '../usePageTitle';

const PERIODS = [
  { value: '6', label: 'Last 6 months' },
  { value: '12', label: 'Last 12 months' },
  { value: '24', label: 'Last 24 months' },
  { value: '36', label: 'Last 36 months' },
] as const;

function series(label: string, code: string, months: DuplicateReportMonth[], unit: string, value: (month: DuplicateReportMonth) => number): Series {
  return {
    label,
    code,
    points: months
      .map((month) => ({ time: fhirTime(month.month), when: month.month, value: value(month), unit, observationId: `${code}-${month.month}` }))
      .filter((point) => Number.isFinite(point.time) && Number.isFinite(point.value)),
  };
}

function plotsOf(months: DuplicateReportMonth[]): Plot[] {
  const sorted = [...months].sort((a, b) => a.month.localeCompare(b.month));
  const plots: Plot[] = [
    {
      id: 'creation-rate',
      title: 'Duplicate creation rate',
      unit: '%',
      group: 'other',
      series: [series('Creation rate', 'creation_rate', sorted, '%', (month) => month.creation_rate * 100)],
    },
    {
      id: 'registrations',
      title: 'Registrations and duplicates',
      unit: '',
      group: 'other',
      series: [
        series('Registrations', 'registrations', sorted, '', (month) => month.registrations),
        series('Duplicates created', 'duplicates_created', sorted, '', (month) => month.duplicates_created),
        series('Merges', 'merges', sorted, '', (month) => month.merges),
      ],
    },
  ];
  return plots.filter((plot) => plot.series.some((line) => line.points.length > 0));
}

export function DuplicateReportPage() {
  const heading = usePageTitle('Duplicate report');
  const [months, setMonths] = useState('12');
  const [report, setReport] = useState<DuplicateReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    let current = true;
    setLoading(true);
    setError(null);
    getDuplicateReport(Number(months)).then(
      (answer) => {
        if (!current) return;
        setReport(answer);
        setLoading(false);
      },
      (caught: unknown) => {
        if (!current) return;
        setError(caught);
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
  }, [months]);

  const cards = report === null
    ? []
    : [
        { key: 'registry_size', label: 'Registry size', value: formatCount(report.registry_size) },
        { key: 'active_patients', label: 'Active patients', value: formatCount(report.active_patients) },
        { key: 'duplicates_open', label: 'Open duplicate pairs', value: formatCount(report.duplicates_open) },
        { key: 'duplicate_rate', label: 'Duplicate rate', value: formatRate(report.duplicate_rate) },
      ];
  const plots = report === null ? [] : plotsOf(report.series);
  const rows = report === null ? [] : [...report.series].sort((a, b) => b.month.localeCompare(a.month));

  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        Duplicate report
      </h1>
      <p className="lead">
        How many patient records are probably duplicates, and how fast new ones are made. Duplicate rate = open duplicate pairs ÷
        active patients; creation rate = registrations made despite a likely match (or later found to be duplicates) ÷
        registrations in the month.
      </p>
      <div className="form-grid form-grid-wide report-controls">
        <SelectField label="Period" name="months" options={PERIODS} value={months} onChange={(event) => setMonths(event.target.value)} />
      </div>
      <ErrorAlert error={error} />
      {loading && <p aria-live="polite">Loading the report…</p>}
      {report !== null && (
        <>
          <section className="report-figures" aria-labelledby="report-figures-heading">
            <h2 id="report-figures-heading" className="visually-hidden">
              Headline figures
            </h2>
            <ul className="cards">
              {cards.map((card) => (
                <li className="card" key={card.key} data-count={card.key}>
                  <span className="card-value">{card.value}</span>
                  <span className="card-label">{card.label}</span>
                </li>
              ))}
            </ul>
          </section>

          <section className="panel report-trend" aria-labelledby="report-trend-heading">
            <h2 id="report-trend-heading">Month by month</h2>
            {plots.length === 0 ? (
              <p className="empty-state">There are no registrations in this period.</p>
            ) : (
              <div className="plots">
                {plots.map((plot) => (
                  <LineChart key={plot.id} plot={plot} />
                ))}
              </div>
            )}
            {rows.length > 0 && (
              <div className="table-wrap">
                <table className="table table-compact report-table">
                  <caption className="visually-hidden">Duplicate figures by month, newest first</caption>
                  <thead>
                    <tr>
                      <th scope="col">Month</th>
                      <th scope="col" className="number">
                        Registrations
                      </th>
                      <th scope="col" className="number">
                        Duplicates created
                      </th>
                      <th scope="col" className="number">
                        Creation rate
                      </th>
                      <th scope="col" className="number">
                        Merges
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((month) => (
                      <tr key={month.month} data-month={month.month}>
                        <th scope="row">{formatFhirDate(month.month)}</th>
                        <td className="number">{formatCount(month.registrations)}</td>
                        <td className="number">{formatCount(month.duplicates_created)}</td>
                        <td className="number">{formatRate(month.creation_rate)}</td>
                        <td className="number">{formatCount(month.merges)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      )}
    </>
  );
}
