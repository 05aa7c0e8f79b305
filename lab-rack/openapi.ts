/**
 * Builds the OpenAPI 3.1 document of the rack API from the zod schemas in shared/rack-api.ts,
 * so docs/rack-api.openapi.json can never drift from the code (a test regenerates and compares).
 * `lab-rack openapi` prints it; the lab rack also serves it at GET /v1/openapi.json.
 */
import { z } from 'zod';
import * as api from '../shared/rack-api.js';

type Json = Record<string, unknown>;

const SCHEMAS = {
  ErrorResponse: api.ErrorResponse,
  TokenRequest: api.TokenRequest,
  TokenResponse: api.TokenResponse,
  ComponentStatus: api.ComponentStatus,
  RackInfo: api.RackInfo,
  SetModeRequest: api.SetModeRequest,
  DigestResponse: api.DigestResponse,
  ArtifactInfo: api.ArtifactInfo,
  ExportResponse: api.ExportResponse,
  CreateImportRequest: api.CreateImportRequest,
  ImportStatus: api.ImportStatus,
  ArtifactProgress: api.ArtifactProgress,
  CommitRequest: api.CommitRequest,
  CommitResponse: api.CommitResponse,
  LabFaults: api.LabFaults,
} as const;

type SchemaName = keyof typeof SCHEMAS;

const ref = (name: SchemaName): Json => ({ $ref: `#/components/schemas/${name}` });
const json = (name: SchemaName): Json => ({ 'application/json': { schema: ref(name) } });

function errors(...statuses: number[]): Json {
  const out: Json = {};
  for (const status of statuses) {
    const codes = api.ERROR_CODES.filter((code) => api.ERROR_STATUS[code] === status);
    out[String(status)] = {
      description: codes.length > 0 ? `Error: ${codes.join(', ')}` : 'Error',
      content: json('ErrorResponse'),
    };
  }
  out['5XX'] = { description: 'INTERNAL, RACK_UNAVAILABLE', content: json('ErrorResponse') };
  return out;
}

const ok = (description: string, name?: SchemaName, status = '200'): Json => ({
  [status]: name === undefined ? { description } : { description, content: json(name) },
});

const componentParam = {
  name: 'component',
  in: 'path',
  required: true,
  schema: { type: 'string', enum: [...api.COMPONENT_IDS] },
};
const idParam = (name: string) => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string' },
});
const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };

function operation(summary: string, responses: Json, extra: Json = {}): Json {
  return { summary, responses, ...extra };
}

function paths(): Json {
  const component = { parameters: [componentParam] };
  return {
    '/v1/auth/token': {
      post: operation(
        'Exchange the operator username and password for a short-lived bearer token.',
        { ...ok('A token', 'TokenResponse'), ...errors(400, 401) },
        { security: [], requestBody: { required: true, content: json('TokenRequest') } },
      ),
    },
    '/v1/rack': {
      get: operation('Rack information', { ...ok('The rack', 'RackInfo'), ...errors(401) }),
    },
    '/v1/rack/mode': {
      put: operation(
        'End a cloud recovery: every component returns to normal mode.',
        { ...ok('The rack', 'RackInfo'), ...errors(400, 401) },
        { requestBody: { required: true, content: json('SetModeRequest') } },
      ),
    },
    '/v1/components/{component}/digest': {
      ...component,
      get: operation('The logical state digest of a component now', {
        ...ok('The digest', 'DigestResponse'),
        ...errors(401, 404),
      }),
    },
    '/v1/components/{component}/mode': {
      ...component,
      put: operation(
        'Put one component into recovery mode or back to normal (healing).',
        { ...ok('The component', 'ComponentStatus'), ...errors(400, 401, 404) },
        { requestBody: { required: true, content: json('SetModeRequest') } },
      ),
    },
    '/v1/components/{component}/exports': {
      ...component,
      post: operation('Take a consistent point-in-time export of a component.', {
        ...ok('The export', 'ExportResponse', '201'),
        ...errors(401, 404, 409),
      }),
    },
    '/v1/exports/{exportId}': {
      parameters: [idParam('exportId')],
      get: operation('An export', { ...ok('The export', 'ExportResponse'), ...errors(401, 404) }),
      delete: operation('Release an export', {
        ...ok('Released', undefined, '204'),
        ...errors(401, 404),
      }),
    },
    '/v1/exports/{exportId}/artifacts/{name}': {
      parameters: [idParam('exportId'), nameParam],
      get: operation(
        'Stream an artifact; one byte range with Range: bytes=S- or bytes=S-E.',
        {
          '200': binary('The whole artifact'),
          '206': binary('The requested range (Content-Range: bytes S-E/SIZE)'),
          ...errors(401, 404, 416),
        },
        {
          parameters: [
            { name: 'Range', in: 'header', required: false, schema: { type: 'string' } },
          ],
        },
      ),
    },
    '/v1/components/{component}/imports': {
      ...component,
      post: operation(
        'Open an import into a component in recovery mode.',
        { ...ok('The import', 'ImportStatus', '201'), ...errors(400, 401, 404, 409) },
        { requestBody: { required: false, content: json('CreateImportRequest') } },
      ),
    },
    '/v1/imports/{importId}': {
      parameters: [idParam('importId')],
      get: operation('Import status: bytes received of each artifact', {
        ...ok('The import', 'ImportStatus'),
        ...errors(401, 404),
      }),
      delete: operation('Abandon an import', {
        ...ok('Abandoned', undefined, '204'),
        ...errors(401, 404, 409),
      }),
    },
    '/v1/imports/{importId}/artifacts/{name}': {
      parameters: [idParam('importId'), nameParam],
      put: operation(
        'Upload bytes of an artifact, starting at the bytes received so far.',
        { ...ok('Progress', 'ArtifactProgress'), ...errors(400, 401, 404, 409) },
        {
          parameters: [
            {
              name: 'Lifeboat-Artifact-Sha256',
              in: 'header',
              required: true,
              schema: api.Sha256Hex.toJSONSchema(),
            },
            { name: 'Content-Range', in: 'header', required: false, schema: { type: 'string' } },
          ],
          requestBody: {
            required: true,
            content: {
              'application/octet-stream': {
                schema: { type: 'string', contentMediaType: 'application/octet-stream' },
              },
            },
          },
        },
      ),
    },
    '/v1/imports/{importId}/commit': {
      parameters: [idParam('importId')],
      post: operation(
        'Apply the import transactionally and report the new state digest.',
        { ...ok('Committed', 'CommitResponse'), ...errors(400, 401, 404, 409) },
        { requestBody: { required: false, content: json('CommitRequest') } },
      ),
    },
    '/v1/lab/faults': {
      get: operation('Lab rack only: the injected faults', {
        ...ok('Faults', 'LabFaults'),
        ...errors(401),
      }),
      put: operation(
        'Lab rack only: replace the injected faults ({} clears them).',
        { ...ok('Faults', 'LabFaults'), ...errors(400, 401) },
        { requestBody: { required: true, content: json('LabFaults') } },
      ),
    },
  };
}

function binary(description: string): Json {
  return {
    description,
    content: {
      'application/octet-stream': {
        schema: { type: 'string', contentMediaType: 'application/octet-stream' },
      },
    },
  };
}

function schemas(): Json {
  const out: Json = {};
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    const converted = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' }) as Json;
    delete converted['$schema'];
    out[name] = converted;
  }
  return out;
}

export function openApiDocument(): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Lifeboat rack API',
      version: '1.0.0',
      description:
        'Back up and restore the infrastructure data of a rack. The prose contract is docs/rack-api.md.',
    },
    servers: [{ url: 'https://rack.example:8443' }],
    security: [{ bearer: [] }],
    paths: paths(),
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: schemas(),
    },
  };
}

/** The document as written to docs/rack-api.openapi.json (two-space JSON and a final newline). */
export function openApiText(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}
