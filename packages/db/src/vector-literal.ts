/** pgvector's text form: '[1,2,3]'. Rejects NaN and infinities, which pgvector would refuse anyway. */
export function toVectorLiteral(vector: ArrayLike<number>): string {
  const parts: string[] = new Array(vector.length);
  for (let i = 0; i < vector.length; i++) {
    const value = vector[i]!;
    if (!Number.isFinite(value)) throw new RangeError(`vector element ${i} is not a finite number`);
    parts[i] = String(value);
  }
  return `[${parts.join(',')}]`;
}

export function parseVectorLiteral(text: string): number[] {
  const inner = text.trim().replace(/^\[/, '').replace(/\]$/, '');
  return inner === '' ? [] : inner.split(',').map(Number);
}
