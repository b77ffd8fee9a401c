import type { EvaluationReport } from './evaluation-report.ts';
import type { MetricSet, OverallMetrics } from './evaluation-run.ts';

const fixed = (value: number | null, digits = 4) => (value === null ? '-' : value.toFixed(digits));

/** The metric rows every table shows, in order. */
export const METRIC_ROWS: { key: keyof OverallMetrics; label: string }[] = [
  { key: 'map', label: 'MAP' },
  { key: 'macroMap', label: 'macro-MAP' },
  { key: 'mrr', label: 'MRR' },
  { key: 'precisionAt1', label: 'P@1' },
  { key: 'precisionAt5', label: 'P@5' },
  { key: 'precisionAt10', label: 'P@10' },
  { key: 'recallAt10', label: 'R@10' },
  { key: 'voteAccuracy', label: '10-NN vote accuracy' },
  { key: 'voteKappa', label: '10-NN vote kappa (quadratic)' },
];

function table(rows: string[][]): string {
  const widths = rows.reduce<number[]>((w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), []);
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function describeProtocol(report: EvaluationReport): string {
  return report.result.protocol === 'gallery'
    ? `every image of ${report.data.name} searches ${report.gallery?.name ?? 'the gallery'} (same patient and same picture left out)`
    : `every image searches the rest of ${report.data.name}, leaving out its own patient (both eyes never match each other)`;
}

/** `cbmir eval` output for one source: metrics with chance levels, per grade, counts and timings. */
export function formatEvaluation(report: EvaluationReport): string {
  const { result, source } = report;
  const lines: string[] = [];
  lines.push(
    `model ${source.modelName}${source.modelVersionId ? ` (${source.modelVersionId})` : ''}: ${source.architecture}@${source.inputSize}px, ` +
      `${source.trained ? 'trained' : 'untrained'}${source.kind ? `, ${source.kind}` : ''}; layer ${source.layer ?? 'output'} (${source.dimensions}-d)`,
  );
  lines.push(
    `data ${report.data.name}: ${report.data.images} labelled images` +
      `${report.data.unlabelled ? ` (${report.data.unlabelled} unlabelled left out)` : ''}, fingerprint ${report.data.fingerprint.slice(0, 16)}`,
  );
  if (report.gallery)
    lines.push(`gallery ${report.gallery.name}: ${report.gallery.images} labelled images, fingerprint ${report.gallery.fingerprint.slice(0, 16)}`);
  lines.push(`protocol: ${describeProtocol(report)}; relevant = same DR grade`);
  lines.push('');
  lines.push(table([['metric', 'value', 'chance'], ...METRIC_ROWS.map((row) => [row.label, fixed(result.overall[row.key]), fixed(result.chance[row.key])])]));
  lines.push('');
  const gradeRow = (label: string, count: string, m: MetricSet, c: MetricSet) => [
    label,
    count,
    `${fixed(m.map, 3)} (${fixed(c.map, 3)})`,
    `${fixed(m.mrr, 3)} (${fixed(c.mrr, 3)})`,
    `${fixed(m.precisionAt10, 3)} (${fixed(c.precisionAt10, 3)})`,
    `${fixed(m.voteAccuracy, 3)} (${fixed(c.voteAccuracy, 3)})`,
  ];
  lines.push('per grade, value (chance):');
  lines.push(
    table([
      ['grade', 'queries', 'MAP', 'MRR', 'P@10', 'vote recall'],
      ...result.perGrade.map((g) => gradeRow(String(g.grade), String(g.count), g.metrics, g.chance)),
    ]),
  );
  lines.push('');
  lines.push(`vote confusion (rows: true grade, columns: voted grade):`);
  lines.push(table([['', '0', '1', '2', '3', '4'], ...result.voteConfusion.map((row, g) => [String(g), ...row.map(String)])]));
  lines.push('');
  const c = result.counts;
  lines.push(
    `${c.queries} queries, gallery ${c.gallery}; left out: ${c.excludedSamePatient} same-patient pairs, ${c.excludedSameImage} same-picture pairs; ` +
      `${c.queriesWithoutRelevant} queries had no relevant item (not in the ranking metrics)`,
  );
  lines.push(
    `embeddings: ${report.embeddings.fromDatabase} from the database, ${report.embeddings.fromCache} from the cache, ${report.embeddings.computed} computed`,
  );
  const t = report.timings;
  lines.push(
    `time: read ${t.readSeconds.toFixed(1)} s, embed ${t.embedSeconds.toFixed(1)} s, rank + metrics ${t.rankSeconds.toFixed(1)} s, map ${t.mapSeconds.toFixed(1)} s, total ${t.totalSeconds.toFixed(1)} s`,
  );
  if (report.id) lines.push(`stored as evaluation ${report.id}`);
  return lines.join('\n');
}

/** The paper's Table 1: one column per source (model and layer), value with the chance level beside it. */
export function formatLayerTable(reports: EvaluationReport[]): string {
  const oneModel = reports.every((r) => r.source.modelName === reports[0]!.source.modelName && r.source.modelVersionId === reports[0]!.source.modelVersionId);
  const rows = [
    [oneModel ? `Layer of ${reports[0]!.source.modelName}` : 'Layer', ...reports.map((r) => (oneModel ? (r.source.layer ?? 'output') : r.source.label))],
    ['dimensions', ...reports.map((r) => String(r.source.dimensions))],
    ...METRIC_ROWS.map((row) => [row.label, ...reports.map((r) => `${fixed(r.result.overall[row.key])} (${fixed(r.result.chance[row.key], 3)})`)]),
  ];
  return `${table(rows)}\n(chance level in brackets: a random ranking of the same galleries)`;
}
