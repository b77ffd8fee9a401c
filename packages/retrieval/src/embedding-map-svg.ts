import type { EvaluationMapPoint } from './evaluation-report.ts';
import { GRADE_COLOURS, GRADE_NAMES } from './grade-colours.ts';
import { escapeXml } from './svg-text.ts';

const SIZE = 420;
const LEGEND = 110;

/** A t-SNE map as an SVG scatter plot, coloured by grade; each point's tooltip names its picture. */
export function embeddingMapSvg(points: EvaluationMapPoint[], title: string): string {
  const pad = 10;
  const span = SIZE - 2 * pad;
  // Frequent grades first, so the rare severe cases are drawn on top.
  const order = [...points].sort((a, b) => a.grade - b.grade);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${SIZE + LEGEND} ${SIZE}" width="${SIZE + LEGEND}" height="${SIZE}" role="img" aria-label="${escapeXml(title)}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${SIZE}" height="${SIZE}" fill="#fff" stroke="#999"/>`,
    ...order.map(
      (p) =>
        `<circle cx="${(pad + p.x * span).toFixed(1)}" cy="${(pad + (1 - p.y) * span).toFixed(1)}" r="2.5" fill="${GRADE_COLOURS[p.grade]}" fill-opacity="0.8">` +
        `<title>grade ${p.grade}${p.imageId ? `, case ${p.imageId}` : ''}, ${p.sha256.slice(0, 12)}</title></circle>`,
    ),
    ...GRADE_NAMES.map(
      (name, g) =>
        `<circle cx="${SIZE + 14}" cy="${20 + g * 18}" r="5" fill="${GRADE_COLOURS[g]}"/>` +
        `<text x="${SIZE + 24}" y="${24 + g * 18}" font-size="11">${escapeXml(name)}</text>`,
    ),
    '</svg>',
  ];
  return parts.join('');
}
