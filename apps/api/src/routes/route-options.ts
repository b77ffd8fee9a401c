import { ErrorBody, type RouteEntry } from '@cbmir/contract';
import type { FastifyContextConfig } from 'fastify';
import type { TSchema } from 'typebox';

/** What only the server says about a route: its OpenAPI prose. */
export interface RouteDocs {
  tags: string[];
  summary: string;
  description?: string;
}

type SuccessStatus<R extends RouteEntry> = R extends { status: infer S extends number } ? S : 200;

/** A route's response schemas by status, as its table entry declares them: success, other answers, errors. */
export type ResponseSchemas<R extends RouteEntry> = (R extends { response: infer S } ? { [K in SuccessStatus<R>]: S } : unknown) &
  (R extends { otherResponses: infer O } ? O : unknown) & { [K in R['errors'][number]]: typeof ErrorBody };

/** The entry's statuses mapped to their schemas; undefined when it documents none (OpenAPI then shows its default answer). */
function responseSchemas(route: RouteEntry): Record<number, TSchema> | undefined {
  const schemas: Record<number, TSchema> = { ...route.otherResponses };
  if (route.response) schemas[route.status ?? 200] = route.response;
  for (const status of route.errors) schemas[status] = ErrorBody;
  return Object.keys(schemas).length > 0 ? schemas : undefined;
}

/**
 * Fastify route options for an entry of the contract's route table (method, path, access, schemas), with the
 * server's documentation and any further route config (a rate limit). Spread into `app.route({ ..., handler })`,
 * the type provider types the handler's request and reply from the entry's schemas.
 */
export function routeOptions<const R extends RouteEntry, const C extends Omit<FastifyContextConfig, 'access'> = object>(route: R, docs: RouteDocs, config?: C) {
  const { method, path, access, status: _status, response: _response, otherResponses: _other, errors: _errors, ...request } = route;
  const responses = responseSchemas(route);
  // responseSchemas built the map ResponseSchemas<R> spells out; the type provider reads the reply types from it.
  const schema = { ...docs, ...request, ...(responses ? { response: responses } : {}) } as RouteDocs & typeof request & { response: ResponseSchemas<R> };
  return { method, url: path, config: { access, ...config }, schema };
}
