import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatMetric } from './format.ts';

describe('formatting', () => {
  it('writes sizes, durations and metrics for people', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(49 * 1024)).toBe('49 KB');
    expect(formatBytes(3.5 * 1024 * 1024)).toBe('3.5 MB');
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(125)).toBe('2 min 5 s');
    expect(formatDuration(3 * 3600 + 60)).toBe('3 h 1 min');
    expect(formatMetric(0.61234)).toBe('0.612');
    expect(formatMetric(null)).toBe('—');
    expect(formatMetric(Number.NaN)).toBe('—');
  });
});
