import { embeddingMapSvg } from './embedding-map-svg.ts';
import type { EvaluationReport } from './evaluation-report.ts';
import { prCurveSvg } from './pr-curve-svg.ts';
import { escapeXml } from './svg-text.ts';
import { describeProtocol, METRIC_ROWS } from './text-report.ts';

const fixed = (value: number | null, digits = 4) => (value === null ? '&ndash;' : value.toFixed(digits));

/**
 * A self-contained HTML report (no scripts, no external files: readable offline and safe to mail): the
 * metric table with chance levels (the paper's Table 1 when several sources were evaluated), then per
 * source the per-grade table, the vote's confusion matrix, precision-recall curves and the t-SNE map.
 */
export function renderReportHtml(reports: EvaluationReport[], options: { title?: string } = {}): string {
  if (reports.length === 0) throw new RangeError('nothing to report');
  const title = options.title ?? `cbmir retrieval evaluation: ${reports.map((r) => r.source.label).join(', ')}`;
  const first = reports[0]!;
  const summary =
    `<table><thead><tr><th>metric</th>${reports.map((r) => `<th colspan="2">${escapeXml(r.source.label)}</th>`).join('')}</tr>` +
    `<tr><th></th>${reports.map(() => '<th>value</th><th class="chance">chance</th>').join('')}</tr></thead><tbody>` +
    `<tr><td>dimensions</td>${reports.map((r) => `<td>${r.source.dimensions}</td><td></td>`).join('')}</tr>` +
    METRIC_ROWS.map(
      (row) =>
        `<tr><td>${row.label}</td>${reports.map((r) => `<td>${fixed(r.result.overall[row.key])}</td><td class="chance">${fixed(r.result.chance[row.key])}</td>`).join('')}</tr>`,
    ).join('') +
    '</tbody></table>';

  const sections = reports.map((report, index) => {
    const r = report.result;
    const perGrade =
      '<table><thead><tr><th>grade</th><th>queries</th><th>MAP</th><th>MRR</th><th>P@10</th><th>R@10</th><th>vote recall</th></tr></thead><tbody>' +
      r.perGrade
        .map(
          (g) =>
            `<tr><td>${g.grade}</td><td>${g.count}</td>` +
            (['map', 'mrr', 'precisionAt10', 'recallAt10', 'voteAccuracy'] as const)
              .map((key) => `<td>${fixed(g.metrics[key], 3)} <span class="chance">(${fixed(g.chance[key], 3)})</span></td>`)
              .join('') +
            '</tr>',
        )
        .join('') +
      '</tbody></table>';
    const confusion =
      '<table><thead><tr><th>true \\ voted</th>' +
      [0, 1, 2, 3, 4].map((g) => `<th>${g}</th>`).join('') +
      '</tr></thead><tbody>' +
      r.voteConfusion.map((row, g) => `<tr><th>${g}</th>${row.map((n) => `<td>${n}</td>`).join('')}</tr>`).join('') +
      '</tbody></table>';
    const map = report.map ? embeddingMapSvg(report.map, `t-SNE map of ${report.source.label}`) : '<p>No map (--map-points 0).</p>';
    return `<section id="source-${index}"><h2>${escapeXml(report.source.label)}</h2>
<p>${escapeXml(report.source.modelName)}${report.source.modelVersionId ? ` (version ${escapeXml(report.source.modelVersionId)})` : ' (not a registered version)'}:
${escapeXml(report.source.architecture)} at ${report.source.inputSize} px, ${report.source.trained ? 'trained' : 'untrained'}${report.source.kind ? `, ${escapeXml(report.source.kind)}` : ''};
layer ${escapeXml(report.source.layer ?? 'output')}, ${report.source.dimensions} dimensions.
Embeddings: ${report.embeddings.fromDatabase} from the database, ${report.embeddings.fromCache} cached, ${report.embeddings.computed} computed.
Time: embed ${report.timings.embedSeconds.toFixed(1)} s, rank ${report.timings.rankSeconds.toFixed(1)} s, map ${report.timings.mapSeconds.toFixed(1)} s.</p>
<h3>Per grade (chance in brackets)</h3>${perGrade}
<h3>10-NN vote</h3>${confusion}
<div class="plots"><figure>${prCurveSvg(r.prCurve, `precision-recall, ${report.source.label}`)}<figcaption>Precision-recall curves (mean interpolated precision); dashed: chance.</figcaption></figure>
<figure>${map}<figcaption>PCA to 50 dimensions, then t-SNE to 2${report.map ? ` (${report.map.length} of ${report.data.images} images, sampled per grade)` : ''}; colour: DR grade.</figcaption></figure></div>
</section>`;
  });

  const c = first.result.counts;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}.chance{color:#777}.plots{display:flex;flex-wrap:wrap;gap:1em}
figure{margin:0}figcaption{font-size:12px;color:#555;max-width:520px}code{background:#f3f3f3;padding:0 3px}
</style></head><body>
<h1>${escapeXml(title)}</h1>
<p>Data <b>${escapeXml(first.data.name)}</b>: ${first.data.images} labelled images (fingerprint <code>${first.data.fingerprint.slice(0, 16)}</code>)${first.gallery ? `; gallery <b>${escapeXml(first.gallery.name)}</b>: ${first.gallery.images} images (<code>${first.gallery.fingerprint.slice(0, 16)}</code>)` : ''}.
Protocol: ${escapeXml(describeProtocol(first))}; relevant = same DR grade. ${c.excludedSamePatient} same-patient and ${c.excludedSameImage} same-picture pairs left out;
${c.queriesWithoutRelevant} queries had no relevant item. MAP averages each query's area under its precision-recall curve over the full ranking;
the chance column is what a random ranking of the same galleries scores (from the grade frequencies; the vote's from seeded random neighbours).</p>
${summary}
${sections.join('\n')}
<p class="chance">Generated ${escapeXml(first.createdAt)} by <code>cbmir eval</code>.</p>
</body></html>
`;
}
