import { DOMAIN_ERRORS, type DomainErrorKind, notFound, UnavailableError } from '@cbmir/core';
import { describe, expect, it } from 'vitest';
import { AppError } from './errors.ts';
import { HTTP_STATUS, httpErrorResponse } from './http-error.ts';

describe('HTTP responses of errors', () => {
  it('maps every domain error kind to its 4xx/5xx status and the body { error: code, message }', () => {
    const expected: Record<DomainErrorKind, number> = {
      invalid_input: 400,
      unauthenticated: 401,
      forbidden: 403,
      not_found: 404,
      conflict: 409,
      too_large: 413,
      unsupported_media: 415,
      unprocessable: 422,
      rate_limited: 429,
      unavailable: 503,
      insufficient_storage: 507,
    };
    for (const [kind, DomainErrorOfKind] of Object.entries(DOMAIN_ERRORS)) {
      const error = new DomainErrorOfKind('some_code', `a ${kind} refusal`);
      expect(error.kind).toBe(kind);
      expect(httpErrorResponse(error)).toEqual({
        status: expected[kind as DomainErrorKind],
        body: { error: 'some_code', message: `a ${kind} refusal` },
      });
    }
    expect(Object.keys(HTTP_STATUS).sort()).toEqual(Object.keys(DOMAIN_ERRORS).sort());
  });

  it('keeps the machine code and sends Retry-After when the error says when to retry', () => {
    expect(httpErrorResponse(notFound('image'))).toEqual({ status: 404, body: { error: 'not_found', message: 'image not found' } });
    expect(httpErrorResponse(new UnavailableError('busy', 'try again', { retryAfterSeconds: 2 }))).toEqual({
      status: 503,
      body: { error: 'busy', message: 'try again' },
      retryAfterSeconds: 2,
    });
  });

  it("answers the API's own AppError with its status", () => {
    expect(httpErrorResponse(new AppError(406, 'bad_multipart', 'the form data could not be read'))).toEqual({
      status: 406,
      body: { error: 'bad_multipart', message: 'the form data could not be read' },
    });
  });

  it('answers anything else with 500 internal, without its message', () => {
    for (const error of [new Error('secret detail'), new TypeError('x is undefined'), 'a string', undefined]) {
      expect(httpErrorResponse(error)).toEqual({ status: 500, body: { error: 'internal', message: 'internal server error' } });
    }
  });
});
