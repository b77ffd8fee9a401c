import type { Eye } from '@cbmir/db';

/** The label files we read, told apart by their header. */
export type LabelLayout = 'eyepacs' | 'aptos' | 'cbmir';

export interface ImageLabel {
  grade: number | null;
  patientRef: string | null;
  eye: Eye | null;
}

export interface LabelFile {
  layout: LabelLayout;
  /** By labelKey(file name). */
  labels: Map<string, ImageLabel>;
}

/** A label file that cannot be used, with every problem found (line numbers included). */
export class LabelFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelFileError';
  }
}

const LAYOUTS: { layout: LabelLayout; file: string; grade: string; describe: string }[] = [
  { layout: 'eyepacs', file: 'image', grade: 'level', describe: 'image,level (Kaggle EyePACS trainLabels.csv)' },
  { layout: 'aptos', file: 'id_code', grade: 'diagnosis', describe: 'id_code,diagnosis (APTOS train.csv)' },
  { layout: 'cbmir', file: 'file', grade: 'grade', describe: 'file,grade[,patient_id,eye] (cbmir)' },
];

/** EyePACS names encode patient and eye: 10_left, 10_right. */
const EYEPACS_NAME = /^(.+)_(left|right)$/i;

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

/**
 * The key a label is matched by: the file name without folder and extension, lower case (Kaggle lists
 * names bare: "10_left" for train/10_left.jpeg). Works on archive entry names and on paths alike.
 */
export function labelKey(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const dot = base.lastIndexOf('.');
  return (dot > 0 ? base.slice(0, dot) : base).toLowerCase();
}

function headerOf(text: string): { lines: string[]; header: string[] } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let header: string[];
  try {
    header = splitCsvLine(lines[0] ?? '').map((h) => h.toLowerCase());
  } catch {
    header = [];
  }
  return { lines, header };
}

/** Which layout a CSV's header announces, or null when it is none we know. */
export function detectLabelLayout(text: string): LabelLayout | null {
  const { header } = headerOf(text.slice(0, 4096));
  return LAYOUTS.find((l) => header.includes(l.file) && header.includes(l.grade))?.layout ?? null;
}

/**
 * Parses a label file in any of the recognised layouts: Kaggle EyePACS `image,level`, APTOS
 * `id_code,diagnosis`, or cbmir's own `file,grade[,patient_id,eye]`. Grades are 0-4 or empty/unknown.
 * Every problem is reported with its line number; nothing is half-read.
 */
export function parseLabelFile(text: string, sourceName = 'labels.csv'): LabelFile {
  const { lines, header } = headerOf(text);
  const spec = LAYOUTS.find((l) => header.includes(l.file) && header.includes(l.grade));
  if (!spec) {
    throw new LabelFileError(
      `${sourceName}: the first line must be a header naming the columns: ${LAYOUTS.map((l) => l.describe).join(', or ')}; got "${(lines[0] ?? '').slice(0, 200)}"`,
    );
  }
  const col = (name: string) => header.indexOf(name);
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
    const file = fields[col(spec.file)] ?? '';
    const gradeText = fields[col(spec.grade)] ?? '';
    if (!file) return void problems.push(`line ${lineNo}: empty file name`);
    let grade: number | null = null;
    if (gradeText !== '' && gradeText.toLowerCase() !== 'unknown') {
      grade = Number(gradeText);
      if (!Number.isInteger(grade) || grade < 0 || grade > 4) {
        return void problems.push(`line ${lineNo}: grade must be 0-4 or empty, got "${gradeText}"`);
      }
    }
    const key = labelKey(file);
    let eye: Eye | null = null;
    let patientRef: string | null = null;
    if (spec.layout === 'cbmir') {
      const eyeText = col('eye') >= 0 ? (fields[col('eye')] ?? '').toLowerCase() : '';
      if (eyeText !== '' && eyeText !== 'left' && eyeText !== 'right') {
        return void problems.push(`line ${lineNo}: eye must be left, right or empty, got "${eyeText}"`);
      }
      eye = (eyeText || null) as Eye | null;
      patientRef = (col('patient_id') >= 0 ? fields[col('patient_id')] : '') || null;
    } else if (spec.layout === 'eyepacs') {
      const match = EYEPACS_NAME.exec(key);
      if (match) {
        patientRef = match[1]!;
        eye = match[2]!.toLowerCase() as Eye;
      }
    }
    if (labels.has(key)) return void problems.push(`line ${lineNo}: "${file}" is listed twice`);
    labels.set(key, { grade, patientRef, eye });
  });
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join('\n  ');
    throw new LabelFileError(`${sourceName}: ${problems.length} bad line(s):\n  ${shown}${problems.length > 10 ? '\n  ...' : ''}`);
  }
  return { layout: spec.layout, labels };
}
