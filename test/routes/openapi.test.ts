// The OpenAPI document is generated from the routers' own declarations and Joi schemas; these tests
// keep it from drifting: every route the running app serves is in it (and nothing else), with the
// roles its guard enforces; every body, query and path schema in it is the converter's output of the
// Joi constant the handler validates with; and it is valid OpenAPI 3.1.
import { expect } from 'chai';
import request from 'supertest';
import parseJoi from 'joi-to-json';
import type Joi from 'joi';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { API_OPERATIONS, JoiConverter } from '../../routes/openapi.js';
import type { ApiOperation } from '../../routes/apiSpec.js';
import { PAYLOAD_SCHEMAS, SIGNAL_TYPES } from '../../services/pipeline/index.js';
import type { Role } from '../../models/index.js';

type Json = Record<string, unknown>;
interface OpenApiDoc {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      Json & {
        security: Record<string, string[]>[];
        parameters?: Json[];
        requestBody?: { content: { 'application/json': { schema: Json } } };
      }
    >
  >;
  components: { schemas: Record<string, Json> };
}

// The parts of router 2.x's Layer and Route this reads.
type Handle = ((...args: unknown[]) => unknown) & { stack?: Layer[]; roles?: readonly Role[] };
interface Layer {
  route?: { path: string; methods: Record<string, boolean>; stack: Layer[] };
  handle: Handle;
  rawPath: string | string[];
  matchers: ((path: string) => unknown)[];
}
interface MountedRoute {
  method: string;
  path: string;
  /** The roles of every requireRole guard on the way to the handler, in order. */
  guards: (readonly Role[])[];
}

const openApiPath = (p: string) => p.replace(/:(\w+)/g, '{$1}');
const sample = (p: string) => p.replace(/\{(\w+)\}/g, 'x$1');

/** Every route in an express router stack, with the requireRole guards that apply to it (route-level, or app.use/router.use ones before it). */
function mountedRoutes(stack: Layer[], prefix = '', guards: { prefix: string; layer: Layer }[] = []): MountedRoute[] {
  const out: MountedRoute[] = [];
  const inScope = [...guards];
  for (const layer of stack) {
    const raw = Array.isArray(layer.rawPath) ? layer.rawPath : [layer.rawPath];
    expect(raw, 'one path per layer').to.have.length(1);
    const at = raw[0] === '/' ? prefix : prefix + raw[0];
    if (layer.route) {
      const path = openApiPath(prefix + layer.route.path);
      const applying = inScope.filter(
        (g) => sample(path).startsWith(g.prefix) && g.layer.matchers.some((m) => m(sample(path).slice(g.prefix.length))),
      );
      const own = layer.route.stack.map((l) => l.handle.roles).filter((r): r is readonly Role[] => r !== undefined);
      for (const [method, on] of Object.entries(layer.route.methods)) {
        if (on && method !== '_all') out.push({ method, path, guards: [...applying.map((g) => g.layer.handle.roles!), ...own] });
      }
    } else if (layer.handle.stack) {
      out.push(...mountedRoutes(layer.handle.stack, at, inScope));
    } else if (layer.handle.roles) {
      inScope.push({ prefix, layer });
    }
  }
  return out;
}

/** Follows a local $ref into components. */
function resolve(doc: OpenApiDoc, schema: Json): Json {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  return resolve(doc, doc.components.schemas[ref.replace('#/components/schemas/', '')]);
}

describe('OpenAPI document', function () {
  this.timeout(30_000);
  let t: TestApp;
  let doc: OpenApiDoc;
  let routes: MountedRoute[];
  const key = (r: { method: string; path: string }) => `${r.method.toUpperCase()} ${r.path}`;

  before(async () => {
    t = await startTestApp();
    doc = (await request(t.url).get('/api/openapi.json').expect(200)).body as OpenApiDoc;
    routes = mountedRoutes((t.app.app as unknown as { router: { stack: Layer[] } }).router.stack);
  });
  after(() => t.close());

  it('lists exactly the routes the app serves', () => {
    const served = routes.map(key).sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => key({ method, path })))
      .sort();
    expect(served).to.include('POST /api/stations').and.include('GET /metrics');
    expect(documented).to.deep.equal(served);
  });

  it('states for each route the roles its requireRole guard enforces', () => {
    const declared = new Map(API_OPERATIONS.map((op) => [key(op), op]));
    for (const route of routes) {
      const op = declared.get(key(route))!;
      const security = doc.paths[route.path][route.method].security;
      if (op.deviceKey) {
        // POST /api/data/signals: the handler's SignalGate takes a device key or an operator (access.test.ts).
        expect(route.guards, key(route)).to.deep.equal([]);
        expect(security, key(route)).to.deep.equal([{ deviceKey: [] }, { bearerAuth: ['operator'] }]);
      } else if (route.guards.length === 0) {
        expect(op.roles, `${key(route)} has no guard`).to.equal(undefined);
        expect(security, key(route)).to.deep.equal([]);
      } else {
        expect(route.guards, `${key(route)}: one guard`).to.have.length(1);
        expect([...route.guards[0]].sort(), key(route)).to.deep.equal([...op.roles!].sort());
        expect(security, key(route)).to.deep.equal([{ bearerAuth: op.roles }]);
      }
    }
  });

  it("converts each route's own Joi constants: bodies, query and path parameters", () => {
    const conv = new JoiConverter();
    const withSchemas = API_OPERATIONS.filter((op) => op.body || op.query || op.params);
    expect(withSchemas.length).to.be.greaterThan(15);
    for (const op of withSchemas) {
      const entry = doc.paths[op.path][op.method];
      if (op.body) expect(entry.requestBody!.content['application/json'].schema, `${key(op)} body`).to.deep.equal(conv.convert(op.body));
      for (const [where, schema] of [
        ['query', op.query],
        ['path', op.params],
      ] as const) {
        if (!schema) continue;
        const obj = conv.convert(schema) as { properties: Record<string, Json>; required?: string[] };
        for (const [name, s] of Object.entries(obj.properties)) {
          const p = entry.parameters!.find((x) => x.in === where && x.name === name);
          const { description, ...rest } = s;
          expect(p, `${key(op)} ${where} ${name}`).to.be.an('object');
          expect(p!.required, `${key(op)} ${where} ${name}`).to.equal(where === 'path' || (obj.required ?? []).includes(name));
          expect(p!.schema, `${key(op)} ${where} ${name}`).to.deep.equal(rest);
          expect(p!.description, `${key(op)} ${where} ${name}`).to.equal(description);
        }
      }
    }
    for (const [id, schema] of Object.entries(conv.components)) expect(doc.components.schemas[id], id).to.deep.equal(schema);
    // joi-to-json writes a keyless Joi.object() (any keys allowed) as "no properties allowed"; none may reach the document.
    expect(JSON.stringify(doc)).not.to.include('"properties":{},"additionalProperties":false');
  });

  it('describes POST /api/stations with the registration schema the route validates with, and the route agrees at its limits', async () => {
    const op = API_OPERATIONS.find((o) => o.method === 'post' && o.path === '/api/stations') as ApiOperation & { body: Joi.ObjectSchema };
    const body = resolve(doc, doc.paths['/api/stations'].post.requestBody!.content['application/json'].schema) as {
      required: string[];
      properties: { capacity: { required: string[]; properties: { bays: { maximum: number } } } };
    };
    // The converter's own output for the Joi constant, and values read from the Joi constant itself.
    const defs: Record<string, Json> = {};
    parseJoi(op.body as never, 'open-api-3.1', defs);
    expect(body).to.deep.equal(defs.StationRegistration);
    expect(body.required).to.have.members(['id', 'name', 'location', 'capacity']);
    const joiBays = (
      op.body.describe() as { keys: { capacity: { keys: { bays: { rules: { name: string; args: { limit: number } }[] } } } } }
    ).keys.capacity.keys.bays.rules.find((r) => r.name === 'max')!.args.limit;
    expect(joiBays).to.equal(1000);
    expect(body.properties.capacity.properties.bays.maximum).to.equal(joiBays);
    expect(body.properties.capacity.required).to.have.members(['bays', 'chargers', 'batterySlots']);

    const reg = (id: string, bays: number) => ({ ...aRegistration(id), capacity: { ...aRegistration(id).capacity, bays } });
    await request(t.url).post('/api/stations').send(reg('oa-at-max', joiBays)).expect(201);
    const over = await request(t.url)
      .post('/api/stations')
      .send(reg('oa-over-max', joiBays + 1))
      .expect(400);
    expect(over.body.error.details[0].field).to.equal('capacity.bays');
  });

  it('builds Signal from the pipeline signal schemas: one variant per type, with its payload schema', () => {
    const variants = (
      doc.components.schemas.Signal as { oneOf: { properties: { type: { const: string }; payload: Json }; required: string[] }[] }
    ).oneOf;
    expect(variants.map((v) => v.properties.type.const)).to.deep.equal(SIGNAL_TYPES);
    for (const v of variants) {
      expect(v.required).to.have.members(['id', 'stationId', 'type', 'ts', 'payload']);
      expect(v.properties.payload, v.properties.type.const).to.deep.equal(
        parseJoi(PAYLOAD_SCHEMAS[v.properties.type.const as keyof typeof PAYLOAD_SCHEMAS] as never, 'open-api-3.1'),
      );
    }
    const batch = doc.paths['/api/data/signals'].post.requestBody!.content['application/json'].schema as { oneOf: Json[] };
    expect(batch.oneOf[0]).to.deep.equal({ $ref: '#/components/schemas/Signal' });
  });

  it('is valid OpenAPI 3.1 with every $ref resolving', async () => {
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const validator = new Validator();
    const res = await validator.validate(doc as never);
    expect(res.errors ?? [], JSON.stringify(res.errors, null, 1)).to.deep.equal([]);
    expect(res.valid).to.equal(true);
    expect(validator.version).to.equal('3.1');
    expect(() => validator.resolveRefs()).not.to.throw();
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const r of new Set(refs)) expect(doc.components.schemas, r).to.have.property(r.slice(9, -1).replace('#/components/schemas/', ''));
  });

  it('serves the operations as a browsable page', async () => {
    const page = await request(t.url).get('/api/docs').expect(200);
    expect(page.headers['content-type']).to.match(/text\/html/);
    for (const op of API_OPERATIONS) expect(page.text).to.include(`<code>${op.path}</code>`);
  });
});
