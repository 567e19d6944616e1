// The OpenAPI 3.1 document, built by @fastify/swagger from the routes' own schemas (so it cannot
// drift from what the server validates), at /api/openapi.json; the interactive page at /docs.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export const OPENAPI_PATH = '/api/openapi.json';

/** Must be registered before the routes: the document is collected from the onRoute hook. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'camera-recorder',
        version: '1',
        description:
          'Records RTSP cameras into MP4 segments in an S3-compatible bucket. Everything under /api needs `Authorization: Bearer <API_TOKEN>`; /health, /ready and /metrics are open.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      tags: [
        { name: 'cameras', description: 'The cameras: from the configuration (read-only) and added over the API' },
        { name: 'footage', description: 'Stored segments and clips' },
        { name: 'events', description: 'Evidence clips cut around a moment' },
        { name: 'ingest', description: "Pictures pushed by http_push cameras; the camera's own push_token is taken as well as the API token" },
        { name: 'probes', description: 'Liveness, readiness and metrics; no token' },
      ],
    },
    // Only /api routes need the token; the document says so per operation.
    transform: ({ schema, url }) => {
      const s = { ...(schema as Record<string, unknown>) };
      if (url.startsWith('/api/') && url !== OPENAPI_PATH) s.security = [{ bearer: [] }];
      return { schema: s as never, url };
    },
  });
  // The document holds no secret (routes and schemas, no hosts or tokens), and a client needs it
  // before it has a token: it is served open, like the probes.
  app.get(
    OPENAPI_PATH,
    {
      schema: {
        summary: 'This API described in OpenAPI 3.1',
        tags: ['probes'],
        response: { 200: { description: 'This document', type: 'object', additionalProperties: true, examples: [{ openapi: '3.1.0' }] } },
      },
    },
    async () => app.swagger(),
  );
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // Its own CSP (hashes of swagger-ui's inline script), without upgrade-insecure-requests: the
    // service speaks plain HTTP on its port and the page must load its scripts from it.
    staticCSP:
      "default-src 'self'; base-uri 'self'; font-src 'self' data:; frame-ancestors 'self'; img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self' 'unsafe-inline'",
  });
}
