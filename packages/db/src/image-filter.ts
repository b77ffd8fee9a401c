import type { Eye } from './image-repository.ts';

/**
 * Which stored images a search may return. Every field narrows; an absent field keeps everything.
 * `null` in `grades` / `eyes` keeps the images whose grade / eye is unknown.
 */
export interface ImageFilter {
  grades?: readonly (number | null)[];
  eyes?: readonly (Eye | null)[];
  source?: string;
  /** Ingested at or after this instant. */
  ingestedFrom?: Date;
  /** Ingested before this instant. */
  ingestedBefore?: Date;
  /** Leave out every image of this patient. */
  excludePatientRef?: string;
  /** Leave out this image (the query itself, when it is a stored case). */
  excludeImageId?: string;
}

export function isUnfiltered(filter: ImageFilter): boolean {
  return Object.values(filter).every((value) => value === undefined);
}

/**
 * The filter as SQL conditions on the images table under `alias`, joined with AND ('TRUE' when there are
 * none); its values are appended to `params` and referenced as $n, never spliced into the text.
 */
export function imageFilterSql(filter: ImageFilter, alias: string, params: unknown[]): string {
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const oneOf = (column: string, values: readonly (string | number | null)[], cast: string) => {
    const known = values.filter((value) => value !== null);
    const terms = known.length > 0 ? [`${column} = ANY(${param(known)}::${cast}[])`] : [];
    if (values.includes(null)) terms.push(`${column} IS NULL`);
    return terms.length > 0 ? `(${terms.join(' OR ')})` : 'FALSE';
  };
  const conditions: string[] = [];
  if (filter.grades !== undefined) conditions.push(oneOf(`${alias}.grade`, filter.grades, 'int'));
  if (filter.eyes !== undefined) conditions.push(oneOf(`${alias}.eye`, filter.eyes, 'text'));
  if (filter.source !== undefined) conditions.push(`${alias}.source = ${param(filter.source)}`);
  if (filter.ingestedFrom !== undefined) conditions.push(`${alias}.created_at >= ${param(filter.ingestedFrom.toISOString())}::timestamptz`);
  if (filter.ingestedBefore !== undefined) conditions.push(`${alias}.created_at < ${param(filter.ingestedBefore.toISOString())}::timestamptz`);
  // IS DISTINCT FROM: images without a patient reference are kept.
  if (filter.excludePatientRef !== undefined) conditions.push(`${alias}.patient_ref IS DISTINCT FROM ${param(filter.excludePatientRef)}`);
  if (filter.excludeImageId !== undefined) conditions.push(`${alias}.id <> ${param(filter.excludeImageId)}::uuid`);
  return conditions.length > 0 ? conditions.join(' AND ') : 'TRUE';
}
