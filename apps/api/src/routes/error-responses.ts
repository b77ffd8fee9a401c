import { ErrorBody } from '@cbmir/contract';

/** Error responses a route documents in OpenAPI, all of the one ErrorBody shape. */
export function errorResponses(...codes: number[]) {
  return Object.fromEntries(codes.map((code) => [code, ErrorBody]));
}
