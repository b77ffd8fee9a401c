import { describe, expect, it } from 'vitest';
import { labelKey, parseLabelsCsv } from './labels-csv.ts';

describe('parseLabelsCsv', () => {
  it('reads file,grade,patient_id,eye and matches names without extension', () => {
    const labels = parseLabelsCsv('file,grade,patient_id,eye\n10_left.jpeg,2,10,left\n"a,b.png",,p7,\n\n');
    expect(labels.get(labelKey('images/10_left.jpeg'))).toEqual({ grade: 2, patientRef: '10', eye: 'left' });
    expect(labels.get(labelKey('a,b.jpg'))).toEqual({ grade: null, patientRef: 'p7', eye: null });
    expect(labels.size).toBe(2);
  });

  it('accepts the two-column form', () => {
    expect(parseLabelsCsv('file,grade\nx.jpg,0\n').get('x')).toEqual({ grade: 0, patientRef: null, eye: null });
  });

  it('reports every bad line with its number', () => {
    const csv = 'file,grade,patient_id,eye\na.jpg,7,1,left\nb.jpg,1,1,up\nc.jpg,1,1,left\nc.jpg,2,1,left\n"d.jpg,1\n';
    expect(() => parseLabelsCsv(csv)).toThrow(
      /4 bad line\(s\):\n {2}line 2: grade must be 0-4.*\n {2}line 3: eye must be.*\n {2}line 5: "c.jpg" is listed twice\n {2}line 6: unterminated quote/,
    );
  });

  it('refuses a file without a header', () => {
    expect(() => parseLabelsCsv('a.jpg,1\n')).toThrow(/header/);
  });
});
