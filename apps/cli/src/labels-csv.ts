import { basename, extname } from 'node:path';
import { UsageError } from './usage-error.ts';

export interface ImageLabel {
  grade: number | null;
  patientRef: string | null;
  eye: 'left' | 'right' | null;
}

/** Splits one CSV line, honouring double quotes ("a,b" and "" escapes). */
function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  if (quoted) throw new Error('unterminated quote');
  fields.push(field);
  return fields.map((f) => f.trim());
}

/** The key a label is matched by: the file name without folder and extension (Kaggle lists names bare). */
export const labelKey = (fileName: string) => basename(fileName, extname(fileName)).toLowerCase();

/**
 * Parses cbmir's label file `file,grade[,patient_id,eye]` (header required). Every problem is reported with
 * its line number; nothing is half-read.
 */
export function parseLabelsCsv(text: string, sourceName = 'labels.csv'): Map<string, ImageLabel> {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '').map((h) => h.toLowerCase());
  const col = (name: string) => header.indexOf(name);
  if (col('file') < 0 || col('grade') < 0) {
    throw new UsageError(`${sourceName}: the first line must be a header with at least "file,grade" (optional: patient_id,eye), got "${lines[0] ?? ''}"`);
  }
  const labels = new Map<string, ImageLabel>();
  const problems: string[] = [];
  lines.slice(1).forEach((line, index) => {
    const lineNo = index + 2;
    if (line.trim() === '') return;
    let fields: string[];
    try {
      fields = splitCsvLine(line);
    } catch (error) {
      problems.push(`line ${lineNo}: ${(error as Error).message}`);
      return;
    }
    const file = fields[col('file')] ?? '';
    const gradeText = fields[col('grade')] ?? '';
    if (!file) return void problems.push(`line ${lineNo}: empty file name`);
    let grade: number | null = null;
    if (gradeText !== '' && gradeText.toLowerCase() !== 'unknown') {
      grade = Number(gradeText);
      if (!Number.isInteger(grade) || grade < 0 || grade > 4) {
        return void problems.push(`line ${lineNo}: grade must be 0-4 or empty, got "${gradeText}"`);
      }
    }
    const eyeText = col('eye') >= 0 ? (fields[col('eye')] ?? '').toLowerCase() : '';
    if (eyeText !== '' && eyeText !== 'left' && eyeText !== 'right') {
      return void problems.push(`line ${lineNo}: eye must be left, right or empty, got "${eyeText}"`);
    }
    const patient = col('patient_id') >= 0 ? fields[col('patient_id')] ?? '' : '';
    const key = labelKey(file);
    if (labels.has(key)) return void problems.push(`line ${lineNo}: "${file}" is listed twice`);
    labels.set(key, { grade, patientRef: patient || null, eye: (eyeText || null) as ImageLabel['eye'] });
  });
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join('\n  ');
    throw new UsageError(`${sourceName}: ${problems.length} bad line(s):\n  ${shown}${problems.length > 10 ? '\n  ...' : ''}`);
  }
  return labels;
}
