/**
 * The compare view of a result: against the stored case `queryCaseId`, or (null) against the photograph
 * uploaded in this tab's search.
 */
export function compareUrl(resultId: string, queryCaseId: string | null): string {
  const params = new URLSearchParams({ result: resultId });
  if (queryCaseId !== null) params.set('query', queryCaseId);
  return `/compare?${params}`;
}
