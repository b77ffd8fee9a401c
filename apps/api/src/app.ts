import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RouteAccess } from '@cbmir/contract';
import type { Database } from '@cbmir/db';
import { ImageValidationError, type ImageErrorCode } from '@cbmir/imaging';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyError } from 'fastify';
import { accessControl } from './auth/access-control.ts';
import {
  type AuditTrail,
  type AuthService,
  type EvaluationService,
  type ImageCatalog,
  DomainError,
  type FileStore,
  type ModelRegistry,
  type ExplanationService,
  type ArchiveLimits,
  type JobWorker,
  type CbmirMetrics,
  type IngestJobService,
  type SearchHistory,
  type ModelActivation,
  type ModelRuntime,
  searchAdmissionFactory,
  type SearchAdmission,
  type SearchService,
} from '@cbmir/core';
import { AppError } from './errors.ts';
import { httpErrorResponse } from './http-error.ts';
import { databaseRateLimitStore } from './auth/shared-rate-limit-store.ts';
import { requestValidatorCompiler } from './request-validation.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { auditRoutes } from './routes/audit.ts';
import { backupRoutes } from './routes/backup.ts';
import { authRoutes } from './routes/auth.ts';
import { healthRoutes } from './routes/health.ts';
import { imageRoutes } from './routes/images.ts';
import { explanationRoutes } from './routes/explanations.ts';
import { metricsRoutes } from './metrics/metrics-routes.ts';
import { archiveRoutes } from './routes/archives.ts';
import { jobRoutes } from './routes/jobs.ts';
import { evaluationRoutes } from './routes/evaluations.ts';
import { modelRoutes } from './routes/models.ts';
import { searchRoutes } from './routes/search.ts';
import { searchHistoryRoutes } from './routes/search-history.ts';
import { searchRefineRoutes } from './routes/search-refine.ts';
import { userRoutes } from './routes/users.ts';

export interface AppDeps {
  db: Database;
  files: FileStore;
  runtime: ModelRuntime;
  search: SearchService;
  history: SearchHistory;
  explanations: ExplanationService;
  images: ImageCatalog;
  evaluations: EvaluationService;
  auth: AuthService;
  audit: AuditTrail;
  models: ModelRegistry;
  activation: ModelActivation;
  jobs: IngestJobService;
  jobWorker: JobWorker;
  archiveLimits: ArchiveLimits;
  maxUploadBytes: number;
  /** Searches per minute per user or API key. */
  searchRateLimit: number;
  /** Megapixel budget and bounded queue of image searches (default: 600 MP/min, 2 at once, 16 waiting). */
  searchAdmission?: SearchAdmission;
  /** Mark the session cookie Secure (serve over HTTPS). */
  secureCookies: boolean;
  /** Built web app to serve at /, if present (apps/web/dist). */
  webDistDir?: string | null;
  /** pino logger shared with the services; none in tests that do not need one. */
  logger?: FastifyBaseLogger;
  /** Request latency and GET /metrics (admin); none: no metrics. */
  metrics?: CbmirMetrics;
}

export const DEFAULT_WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));

const IMAGE_ERROR_STATUS: Record<ImageErrorCode, number> = {
  unsupported_type: 415,
  undecodable: 422,
  too_large: 413,
  too_small: 422,
  empty: 400,
};

const JSON_BODY_LIMIT = 1024 * 1024;

/** Builds the HTTP app from its dependencies, so tests can start the real thing in-process. */
export async function buildApp(deps: AppDeps) {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    // JSON bodies carry at most a 4096-d vector; images come through multipart with their own limit.
    bodyLimit: JSON_BODY_LIMIT,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(requestValidatorCompiler());
  const accessByRoute = new Map<string, RouteAccess>();

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof DomainError || error instanceof AppError) {
      const response = httpErrorResponse(error);
      if (response.retryAfterSeconds !== undefined) reply.header('retry-after', String(response.retryAfterSeconds));
      return reply.code(response.status).send(response.body);
    }
    if (error instanceof ImageValidationError) {
      // The decoder's own words (libvips) stay in the server: they describe our internals, not the file.
      const message = error.code === 'undecodable' ? error.message.replace(/\s*\(.*\)\.?$/s, '.') : error.message;
      return reply.code(IMAGE_ERROR_STATUS[error.code] ?? 400).send({ error: error.code, message });
    }
    if (error.statusCode === 429) {
      return reply.code(429).send({ error: 'rate_limited', message: error.message });
    }
    if (error.validation) {
      return reply.code(400).send({ error: 'invalid_request', message: error.message });
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({ error: 'too_large', message: `the JSON body exceeds its limit of ${JSON_BODY_LIMIT / 1024 / 1024} MB` });
    }
    if (error.code === 'FST_REQ_FILE_TOO_LARGE' || error.code === 'FST_FILES_LIMIT' || error.code === 'FST_PARTS_LIMIT') {
      return reply.code(413).send({ error: 'too_large', message: `the upload exceeds the limit of ${Math.round(deps.maxUploadBytes / 1024 / 1024)} MB` });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own errors (FST_...) describe the request; anything else (the multipart parser's) is ours to word.
      const own = typeof error.code === 'string' && error.code.startsWith('FST_');
      request.log.info({ err: error }, 'request refused');
      return reply
        .code(status)
        .send(
          own
            ? { error: error.code, message: error.message }
            : { error: 'bad_request', message: 'the request body could not be read (malformed or cut short)' },
        );
    }
    request.log.error({ err: error }, 'request failed');
    const internal = httpErrorResponse(error);
    return reply.code(internal.status).send(internal.body);
  });

  // Refusals an outsider can cause at will are audited in a bounded way (AuditTrail.recordBounded): failed
  // authentication and authorisation, and uploads refused as bad (not an image, too large, not an archive).
  const UPLOAD_ROUTES = new Set(['POST /api/v1/search', 'POST /api/v1/archives', 'POST /api/v1/explanations', 'POST /api/v1/preprocess']);
  app.addHook('onSend', async (request, reply, payload) => {
    const status = reply.statusCode;
    if (status < 400 || status >= 500 || status === 429) return payload;
    const route = `${request.method} ${request.routeOptions.url ?? ''}`;
    const action = status === 401 || status === 403 ? 'access.denied' : UPLOAD_ROUTES.has(route) ? 'upload.refused' : null;
    if (!action) return payload;
    let error: unknown = null;
    try {
      error = typeof payload === 'string' ? (JSON.parse(payload) as { error?: unknown }).error : null;
    } catch {
      // not JSON: the status says enough
    }
    await deps.audit
      .recordBounded(request, action, request.principal?.id ?? request.ip, null, { route, status, error: typeof error === 'string' ? error : null })
      .catch((failure: Error) => request.log.warn(`audit of a refusal failed: ${failure.message}`));
    return payload;
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'cbmir',
        version: '0.1.0',
        description: 'Content-based retrieval of retina (fundus) photographs: upload a photo, get the most similar cases.',
      },
      tags: [
        { name: 'search', description: 'Similar-case search' },
        { name: 'images', description: 'Stored images' },
        { name: 'health', description: 'Liveness and readiness' },
        { name: 'auth', description: 'Sign-in sessions' },
        { name: 'users', description: 'User management (admin)' },
        { name: 'api keys', description: 'API keys for REST clients (admin)' },
        { name: 'audit', description: 'Audit trail (admin)' },
        { name: 'models', description: 'Model versions: register, activate, indexing progress' },
        { name: 'ingest', description: 'Archive upload and ingest jobs: progress, per-file report, cancel (admin)' },
      ],
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'An API key issued by an admin: Authorization: Bearer cbmir_...' },
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: 'cbmir_session',
            description: 'Browser session from POST /api/v1/auth/login; state-changing requests also need the x-csrf-token header',
          },
        },
      },
    },
    // Each operation states the role it needs (x-cbmir-role) and how to authenticate.
    transformObject: (documentObject) => {
      if (!('openapiObject' in documentObject)) return documentObject.swaggerObject;
      const openapiObject = documentObject.openapiObject;
      const doc = openapiObject as { paths?: Record<string, Record<string, Record<string, unknown>>> };
      for (const [path, operations] of Object.entries(doc.paths ?? {})) {
        for (const [method, operation] of Object.entries(operations)) {
          const access = accessByRoute.get(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`) ?? 'admin';
          operation['x-cbmir-role'] = access;
          if (access !== 'public') {
            operation.security = [{ session: [] }, { apiKey: [] }];
            operation.description = `${operation.description ? `${operation.description} ` : ''}Requires role: ${access}.`;
          }
        }
      }
      return openapiObject;
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', staticCSP: true });
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        scriptSrc: ["'self'"],
      },
    },
  });
  await app.register(multipart, { limits: { fileSize: deps.maxUploadBytes, files: 1, fields: 10 } });
  await app.register(accessControl, { auth: deps.auth, accessByRoute });
  if (deps.metrics) await app.register(metricsRoutes, { metrics: deps.metrics });
  await app.register(rateLimit, {
    global: false,
    // Per user or API key when signed in, so one client cannot starve the others behind one address.
    keyGenerator: (request) => request.principal?.id ?? request.ip,
    // On a PostgreSQL server the counters are shared by every API process; embedded, there is only one.
    ...(deps.db.sql.kind === 'postgres' ? { store: databaseRateLimitStore(deps.db.rateLimits), skipOnError: true } : {}),
  });

  await app.register(healthRoutes(deps));
  await app.register(authRoutes(deps));
  await app.register(userRoutes(deps));
  await app.register(apiKeyRoutes(deps));
  await app.register(auditRoutes(deps));
  await app.register(backupRoutes(deps));
  await app.register(modelRoutes(deps));
  await app.register(evaluationRoutes(deps));
  await app.register(archiveRoutes(deps));
  await app.register(jobRoutes(deps));
  // Image searches and explanations share one CPU budget per caller and one bounded queue.
  const admission = deps.searchAdmission ?? searchAdmissionFactory({ megapixelsPerMinute: 600, maxConcurrent: 2, maxQueued: 16 });
  await app.register(searchRoutes({ ...deps, admission }));
  await app.register(searchRefineRoutes(deps));
  await app.register(searchHistoryRoutes(deps));
  await app.register(imageRoutes(deps));
  await app.register(explanationRoutes({ ...deps, admission }));

  const webDist = deps.webDistDir === undefined ? DEFAULT_WEB_DIST : deps.webDistDir;
  if (webDist && existsSync(webDist)) {
    await app.register(fastifyStatic, { root: webDist, wildcard: false });
    // Client-side routes (/cases/:id) get the app shell; unknown API paths stay JSON 404s.
    app.setNotFoundHandler((request, reply) => {
      if (request.method === 'GET' && !request.url.startsWith('/api/')) return reply.sendFile('index.html');
      return reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` });
    });
  } else {
    app.setNotFoundHandler((request, reply) =>
      reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
    );
  }

  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
