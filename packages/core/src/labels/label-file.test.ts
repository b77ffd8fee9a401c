import { describe, expect, it } from 'vitest';
import { detectLabelLayout, labelKey, parseLabelFile } from './label-file.ts';

describe('parseLabelFile', () => {
  it('reads file,grade,patient_id,eye and matches names without folder or extension', () => {
    const { layout, labels } = parseLabelFile('file,grade,patient_id,eye\n10_left.jpeg,2,10,left\n"a,b.png",,p7,\n\n');
    expect(layout).toBe('cbmir');
    expect(labels.get(labelKey('images/10_left.jpeg'))).toEqual({ grade: 2, patientRef: '10', eye: 'left' });
    expect(labels.get(labelKey('a,b.jpg'))).toEqual({ grade: null, patientRef: 'p7', eye: null });
    expect(labels.size).toBe(2);
  });

  it('accepts the two-column form', () => {
    expect(parseLabelFile('file,grade\nx.jpg,0\n').labels.get('x')).toEqual({ grade: 0, patientRef: null, eye: null });
  });

  it('reads Kaggle EyePACS trainLabels.csv, taking patient and eye from the name', () => {
    const { layout, labels } = parseLabelFile('image,level\r\n10_left,0\r\n10_right,3\r\n7_x,1\r\n');
    expect(layout).toBe('eyepacs');
    expect(labels.get(labelKey('train/10_right.jpeg'))).toEqual({ grade: 3, patientRef: '10', eye: 'right' });
    expect(labels.get('7_x')).toEqual({ grade: 1, patientRef: null, eye: null });
  });

  it('reads APTOS train.csv', () => {
    const { layout, labels } = parseLabelFile('\uFEFFid_code,diagnosis\n000c1434d8d7,2\n001639a390f0,4\n');
    expect(layout).toBe('aptos');
    expect(labels.get(labelKey('train_images/000c1434d8d7.png'))).toEqual({ grade: 2, patientRef: null, eye: null });
  });

  it('reports every bad line with its number', () => {
    const csv = 'file,grade,patient_id,eye\na.jpg,7,1,left\nb.jpg,1,1,up\nc.jpg,1,1,left\nc.jpg,2,1,left\n"d.jpg,1\n';
    expect(() => parseLabelFile(csv)).toThrow(
      /4 bad line\(s\):\n {2}line 2: grade must be 0-4.*\n {2}line 3: eye must be.*\n {2}line 5: "c.jpg" is listed twice\n {2}line 6: unterminated quote/,
    );
  });

  it('refuses a file without a known header, naming the layouts it knows', () => {
    expect(() => parseLabelFile('a.jpg,1\n')).toThrow(/header.*image,level.*id_code,diagnosis.*file,grade/);
    expect(detectLabelLayout('id_code\nabc\n')).toBeNull();
    expect(detectLabelLayout('image,level\n')).toBe('eyepacs');
  });
});
