// Turns a patient's Observations into the series the chart plots: numeric values by LOINC code
// (components of panels such as blood pressure included), grouped into the plots people expect
// (vital signs, then laboratory values), with whatever else is numeric after them.
import { conceptText, fhirTime, type Observation } from './fhir';

export interface Measurement {
  /** Milliseconds since the epoch. */
  time: number;
  /** The date/time as the resource gives it. */
  when: string;
  value: number;
  unit: string;
  observationId: string;
}

export interface Series {
  label: string;
  code: string;
  points: Measurement[];
}

export interface Plot {
  id: string;
  title: string;
  unit: string;
  group: 'vital-signs' | 'laboratory' | 'other';
  series: Series[];
}

interface PlotDefinition {
  id: string;
  title: string;
  group: 'vital-signs' | 'laboratory';
  series: { label: string; codes: string[] }[];
}

/** The plots known by name, in the order they are shown. Codes are LOINC. */
const PLOTS: readonly PlotDefinition[] = [
  { id: 'blood-pressure', title: 'Blood pressure', group: 'vital-signs', series: [
    { label: 'Systolic', codes: ['8480-6'] },
    { label: 'Diastolic', codes: ['8462-4'] },
  ] },
  { id: 'heart-rate', title: 'Heart rate', group: 'vital-signs', series: [{ label: 'Heart rate', codes: ['8867-4'] }] },
  { id: 'respiratory-rate', title: 'Respiratory rate', group: 'vital-signs', series: [{ label: 'Respiratory rate', codes: ['9279-1'] }] },
  { id: 'body-weight', title: 'Body weight', group: 'vital-signs', series: [{ label: 'Body weight', codes: ['29463-7', '3141-9'] }] },
  { id: 'bmi', title: 'Body mass index', group: 'vital-signs', series: [{ label: 'BMI', codes: ['39156-5'] }] },
  { id: 'body-temperature', title: 'Body temperature', group: 'vital-signs', series: [{ label: 'Temperature', codes: ['8310-5', '8331-1'] }] },
  { id: 'oxygen-saturation', title: 'Oxygen saturation', group: 'vital-signs', series: [{ label: 'SpO₂', codes: ['59408-5', '2708-6'] }] },
  { id: 'body-height', title: 'Body height', group: 'vital-signs', series: [{ label: 'Body height', codes: ['8302-2'] }] },
  { id: 'glucose', title: 'Glucose', group: 'laboratory', series: [{ label: 'Glucose', codes: ['2339-0', '2345-7'] }] },
  { id: 'hba1c', title: 'Hemoglobin A1c', group: 'laboratory', series: [{ label: 'HbA1c', codes: ['4548-4'] }] },
  { id: 'cholesterol', title: 'Cholesterol', group: 'laboratory', series: [
    { label: 'Total', codes: ['2093-3'] },
    { label: 'LDL', codes: ['18262-6', '13457-7'] },
    { label: 'HDL', codes: ['2085-9'] },
  ] },
  { id: 'triglycerides', title: 'Triglycerides', group: 'laboratory', series: [{ label: 'Triglycerides', codes: ['2571-8'] }] },
  { id: 'creatinine', title: 'Creatinine', group: 'laboratory', series: [{ label: 'Creatinine', codes: ['38483-4', '2160-0'] }] },
  { id: 'egfr', title: 'Estimated GFR', group: 'laboratory', series: [{ label: 'eGFR', codes: ['33914-3'] }] },
  { id: 'hemoglobin', title: 'Hemoglobin', group: 'laboratory', series: [{ label: 'Hemoglobin', codes: ['718-7'] }] },
];

/** UCUM units as people write them. */
const UNIT_TEXT: Record<string, string> = {
  Cel: '°C',
  '[degF]': '°F',
  'mm[Hg]': 'mmHg',
  'kg/m2': 'kg/m²',
  '/min': '/min',
  '{beats}/min': '/min',
  '{breaths}/min': '/min',
  '{score}': 'score',
  'mL/min/{1.73_m2}': 'mL/min/1.73 m²',
  '10*3/uL': '10³/µL',
  '10*6/uL': '10⁶/µL',
  '[lb_av]': 'lb',
};

export const unitText = (unit: string): string => UNIT_TEXT[unit] ?? unit;

function observationWhen(observation: Observation): string | undefined {
  return (
    observation.effectiveDateTime ??
    observation.effectivePeriod?.start ??
    observation.effectiveInstant ??
    observation.issued
  );
}

interface Reading extends Measurement {
  code: string;
  display: string;
}

const LOINC = 'http://loinc.org';

function codeOf(concept: Observation['code']): string | undefined {
  const codings = concept?.coding ?? [];
  return (codings.find((coding) => coding.system === LOINC && coding.code) ?? codings.find((coding) => coding.code))?.code;
}

/** Every numeric value in `observations`: the observation's own and its components'. */
function readings(observations: Observation[]): Reading[] {
  const found: Reading[] = [];
  for (const observation of observations) {
    if (observation.status === 'entered-in-error' || observation.status === 'cancelled') continue;
    const when = observationWhen(observation);
    const time = fhirTime(when);
    if (when === undefined || Number.isNaN(time)) continue;
    const sources = [
      { code: observation.code, value: observation.valueQuantity },
      ...(observation.component ?? []).map((component) => ({ code: component.code, value: component.valueQuantity })),
    ];
    for (const source of sources) {
      const code = codeOf(source.code);
      const value = source.value?.value;
      if (code === undefined || typeof value !== 'number' || !Number.isFinite(value)) continue;
      found.push({
        code,
        display: conceptText(source.code) || code,
        time,
        when,
        value,
        unit: unitText(source.value?.unit ?? source.value?.code ?? ''),
        observationId: observation.id ?? '',
      });
    }
  }
  return found.sort((a, b) => a.time - b.time);
}

/** The plots for a patient: the known ones present, then every other numeric code. */
export function plotsFrom(observations: Observation[]): Plot[] {
  const byCode = new Map<string, Reading[]>();
  for (const reading of readings(observations)) {
    const list = byCode.get(reading.code);
    if (list === undefined) byCode.set(reading.code, [reading]);
    else list.push(reading);
  }
  const claimed = new Set<string>();
  const plots: Plot[] = [];
  for (const definition of PLOTS) {
    const series: Series[] = [];
    for (const { label, codes } of definition.series) {
      const points = codes.flatMap((code) => byCode.get(code) ?? []).sort((a, b) => a.time - b.time);
      codes.forEach((code) => claimed.add(code));
      if (points.length > 0) series.push({ label, code: codes[0] ?? '', points });
    }
    if (series.length === 0) continue;
    const unit = series[0]?.points[0]?.unit ?? '';
    plots.push({ id: definition.id, title: definition.title, unit, group: definition.group, series });
  }
  const others: Plot[] = [];
  for (const [code, points] of byCode) {
    if (claimed.has(code)) continue;
    const first = points[0];
    if (first === undefined) continue;
    others.push({
      id: `loinc-${code}`,
      title: first.display,
      unit: first.unit,
      group: 'other',
      series: [{ label: first.display, code, points }],
    });
  }
  others.sort((a, b) => a.title.localeCompare(b.title));
  return [...plots, ...others];
}
