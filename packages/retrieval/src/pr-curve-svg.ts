import type { EvaluationResult } from './evaluation-run.ts';
import { GRADE_COLOURS } from './grade-colours.ts';
import { escapeXml } from './svg-text.ts';

const W = 420;
const H = 320;
const PAD = { left: 48, right: 110, top: 16, bottom: 40 };

/** Precision-recall curves as an SVG: overall (black), each grade (its colour), chance (dashed). */
export function prCurveSvg(curve: EvaluationResult['prCurve'], title: string): string {
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (recall: number) => PAD.left + recall * plotW;
  const y = (precision: number) => PAD.top + (1 - precision) * plotH;
  const path = (precision: number[]) => precision.map((p, i) => `${i ? 'L' : 'M'}${x(curve.recall[i]!).toFixed(1)},${y(p).toFixed(1)}`).join('');
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(title)}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="#fff" stroke="#999"/>`,
    ...ticks.map(
      (t) =>
        `<text x="${x(t)}" y="${H - PAD.bottom + 14}" font-size="10" text-anchor="middle">${t}</text>` +
        `<text x="${PAD.left - 6}" y="${y(t) + 3}" font-size="10" text-anchor="end">${t}</text>` +
        `<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/>`,
    ),
    `<text x="${PAD.left + plotW / 2}" y="${H - 8}" font-size="11" text-anchor="middle">recall</text>`,
    `<text x="12" y="${PAD.top + plotH / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${PAD.top + plotH / 2})">precision (interpolated)</text>`,
  ];
  if (curve.chancePrecision !== null) {
    parts.push(
      `<line x1="${x(0)}" x2="${x(1)}" y1="${y(curve.chancePrecision)}" y2="${y(curve.chancePrecision)}" stroke="#666" stroke-dasharray="4 3"><title>chance ${curve.chancePrecision.toFixed(3)}</title></line>`,
    );
  }
  for (const grade of curve.perGrade) {
    parts.push(
      `<path d="${path(grade.precision)}" fill="none" stroke="${GRADE_COLOURS[grade.grade]}" stroke-width="1.5"><title>grade ${grade.grade}</title></path>`,
    );
  }
  parts.push(`<path d="${path(curve.precision)}" fill="none" stroke="#000" stroke-width="2.5"><title>all queries</title></path>`);
  const legend = [
    { colour: '#000', label: 'all queries', dash: '' },
    ...curve.perGrade.map((g) => ({ colour: GRADE_COLOURS[g.grade]!, label: `grade ${g.grade}`, dash: '' })),
    ...(curve.chancePrecision !== null ? [{ colour: '#666', label: 'chance', dash: '4 3' }] : []),
  ];
  legend.forEach((item, i) => {
    const ly = PAD.top + 10 + i * 16;
    parts.push(
      `<line x1="${W - PAD.right + 10}" x2="${W - PAD.right + 30}" y1="${ly}" y2="${ly}" stroke="${item.colour}" stroke-width="2"${item.dash ? ` stroke-dasharray="${item.dash}"` : ''}/>` +
        `<text x="${W - PAD.right + 34}" y="${ly + 3}" font-size="10">${escapeXml(item.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}
