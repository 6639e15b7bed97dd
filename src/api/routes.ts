// The API's routes (SPEC §6): each a small function of request and context. Mutations need the bearer token.
import { timingSafeEqual } from 'node:crypto';
import {
  absoluteName,
  addressBytes,
  fail,
  formatDiagnostic,
  nameProblem,
  ok,
  parseCidr,
  type Result,
  RRType,
  typeCode,
  typeName,
} from '../core/index.ts';
import { explain } from '../resolve/index.ts';
import type { DynamicRecord, Zone } from '../zone/index.ts';
import {
  type ApiContext,
  type ApiRequest,
  type ApiResponse,
  error,
  type OverrideRequest,
  type Status,
} from './types.ts';
import {
  healthzView,
  memberOverrideView,
  memberRows,
  poolViews,
  resolveView,
  type ServerView,
  zoneSummaries,
  zoneView,
} from './views.ts';

type Handler = (
  req: ApiRequest,
  ctx: ApiContext,
  params: string[],
) => Promise<ApiResponse> | ApiResponse;

const ROUTES: readonly { method: string; pattern: RegExp; mutates: boolean; handle: Handler }[] = [
  {
    method: 'GET',
    pattern: /^\/healthz$/,
    mutates: false,
    handle: (_r, ctx) => ({ status: 200, body: healthzView(ctx.storage(), ctx.cluster()) }),
  },
  {
    method: 'GET',
    pattern: /^\/metrics$/,
    mutates: false,
    handle: async (_r, ctx) => {
      const m = await ctx.metrics();
      return { status: 200, body: m.body, contentType: m.contentType };
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/v1\/zones$/,
    mutates: false,
    handle: (_r, ctx) => ({ status: 200, body: { zones: zoneSummaries(ctx.view()) } }),
  },
  {
    method: 'GET',
    pattern: /^\/api\/v1\/zones\/([^/]+)$/,
    mutates: false,
    handle: (_r, ctx, [zone]) => {
      const found = zoneView(ctx.view(), fqdn(zone!));
      return found
        ? { status: 200, body: found }
        : error(404, 'UNKNOWN_ZONE', `no zone ${fqdn(zone!)}`);
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/v1\/members$/,
    mutates: false,
    handle: (_r, ctx) => ({ status: 200, body: { members: memberRows(ctx.view()) } }),
  },
  {
    method: 'PUT',
    pattern: /^\/api\/v1\/zones\/([^/]+)\/records\/([^/]+)\/([^/]+)\/(members|pools)\/([^/]+)$/,
    mutates: true,
    handle: putOverride,
  },
  {
    method: 'POST',
    pattern: /^\/api\/v1\/reload$/,
    mutates: true,
    handle: async (_r, ctx) => {
      const r = await ctx.reload();
      const problems = r.diagnostics.map(formatDiagnostic);
      if (!r.ok && r.error)
        return unavailable('RELOAD_FAILED', `${r.error}; the zones in service are unchanged`);
      if (!r.ok)
        return error(
          400,
          'ZONE_ERRORS',
          'the zone files have errors; the zones in service are unchanged',
          { problems },
        );
      const zones = ctx.view().snapshot.zones.zones.size;
      return { status: 200, body: { ok: true, zones, warnings: problems } };
    },
  },
  { method: 'GET', pattern: /^\/api\/v1\/resolve$/, mutates: false, handle: getResolve },
  {
    method: 'GET',
    pattern: /^\/api\/v1\/cluster$/,
    mutates: false,
    handle: async (_r, ctx) => {
      const report = await ctx.clusterReport();
      return { status: 200, body: report ? { clustered: true, ...report } : { clustered: false } };
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/v1\/events$/,
    mutates: false,
    handle: (req, ctx) => {
      const since = intParam(req, 'since', 0);
      const limit = intParam(req, 'limit', 500);
      if (!since.ok) return error(400, 'BAD_PARAMETER', since.error);
      if (!limit.ok) return error(400, 'BAD_PARAMETER', limit.error);
      const events = ctx.events(since.value, Math.min(limit.value, 5000));
      return { status: 200, body: { events, next: events.at(-1)?.id ?? since.value } };
    },
  },
];

export async function route(req: ApiRequest, ctx: ApiContext): Promise<ApiResponse> {
  const matches = ROUTES.filter((r) => r.pattern.test(req.path));
  if (matches.length === 0) return error(404, 'NOT_FOUND', `no route ${req.path.slice(0, 200)}`);
  const r = matches.find(
    (m) => m.method === req.method || (req.method === 'HEAD' && m.method === 'GET'),
  );
  if (!r)
    return error(
      405,
      'METHOD_NOT_ALLOWED',
      `${req.method} is not allowed on ${req.path}; use ${matches.map((m) => m.method).join(', ')}`,
    );
  if (r.mutates) {
    const denied = authorize(req, ctx.token);
    if (denied) return denied;
  }
  const params = r.pattern.exec(req.path)!.slice(1).map(percentDecoded);
  if (params.includes(undefined))
    return error(400, 'BAD_PARAMETER', `bad percent-encoding in ${req.path.slice(0, 200)}`);
  return r.handle(req, ctx, params as string[]);
}

/** Bearer token, compared in constant time; with no token configured the API is read-only. */
function authorize(req: ApiRequest, token: string | undefined): ApiResponse | undefined {
  if (!token)
    return error(
      403,
      'READ_ONLY',
      'this API has no token configured (api_token or GSLB_API_TOKEN), so it accepts no changes',
    );
  const m = /^Bearer (.+)$/.exec(req.authorization ?? '');
  const given = Buffer.from(m?.[1] ?? '');
  const wanted = Buffer.from(token);
  if (!m || given.length !== wanted.length || !timingSafeEqual(given, wanted))
    return error(401, 'UNAUTHORIZED', 'a valid Authorization: Bearer token is required');
  return undefined;
}

async function putOverride(
  req: ApiRequest,
  ctx: ApiContext,
  [zoneText, nameText, typeText, kind, key]: string[],
): Promise<ApiResponse> {
  const zone = fqdn(zoneText!);
  const name =
    nameText === '@' || nameText === ''
      ? zone
      : nameText!.endsWith('.')
        ? nameText!.toLowerCase()
        : absoluteName(nameText!, zone);
  const type = typeCode(typeText!);
  if (nameProblem(name)) return error(400, 'BAD_PARAMETER', `name: ${nameProblem(name)}`);
  if (type !== RRType.A && type !== RRType.AAAA)
    return error(400, 'BAD_PARAMETER', `type: "${typeText}" must be A or AAAA`);
  const body = overrideBody(req);
  if (!body.ok) return body.error;
  const target = kind === 'members' ? 'member' : 'pool';
  const member = target === 'member' ? key!.toLowerCase() : key!;
  const request: OverrideRequest = { zone, name, type, target, key: member, ...body.value };
  const found = overrideTarget(ctx.view(), request);
  if (!found.ok) return error(404, 'NOT_FOUND', found.error);
  const committed = await ctx.setOverride(request);
  if (!committed.ok)
    return unavailable(
      'STORAGE_ERROR',
      `the override could not be stored (${committed.error}); nothing changed`,
    );
  const view = ctx.view();
  const { zone: z, record } = found.value;
  const state =
    target === 'pool'
      ? poolViews(view, record).find((p) => p.pool === request.key)
      : memberOverrideView(view, z, record, request.key);
  return { status: 200, body: state };
}

/** {"status": "up" | "down" | "obey", "reason": "..."}, or the 400 that says what is wrong with it. */
function overrideBody(req: ApiRequest): Result<{ status: Status; reason: string }, ApiResponse> {
  if (req.bodyError) return fail(error(400, 'BAD_BODY', req.bodyError));
  const body = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return fail(
      error(
        400,
        'BAD_BODY',
        'the body must be a JSON object like {"status": "down", "reason": "..."}',
      ),
    );
  const unknown = Object.keys(body).filter((k) => k !== 'status' && k !== 'reason');
  if (unknown.length > 0)
    return fail(
      error(400, 'BAD_BODY', `unknown field "${unknown[0]}"; expected status and reason`, {
        field: unknown[0],
      }),
    );
  const { status, reason } = body as { status?: unknown; reason?: unknown };
  if (status !== 'up' && status !== 'down' && status !== 'obey')
    return fail(
      error(400, 'BAD_BODY', 'status must be "up", "down" or "obey"', { field: 'status' }),
    );
  if (reason !== undefined && (typeof reason !== 'string' || reason.length > 500))
    return fail(
      error(400, 'BAD_BODY', 'reason must be a string of at most 500 characters', {
        field: 'reason',
      }),
    );
  return ok({ status, reason: reason ?? '' });
}

/** The dynamic record an override names, with the pool or member in it; or what does not exist. */
function overrideTarget(
  view: ServerView,
  r: OverrideRequest,
): Result<{ zone: Zone; record: DynamicRecord }> {
  const zone = view.snapshot.zones.zones.get(r.zone);
  const record = zone?.nodes.get(r.name)?.rrsets.get(r.type)?.dynamic;
  if (!zone || !record)
    return fail(`no dynamic ${typeName(r.type)} record ${r.name} in zone ${r.zone}`);
  if (r.target === 'pool' && !record.pools.has(r.key))
    return fail(`record ${r.name} has no pool "${r.key}"`);
  if (r.target === 'member' && !record.addresses.has(r.key))
    return fail(`${r.key} is not a member or default value of ${r.name} ${typeName(r.type)}`);
  return ok({ zone, record });
}

function getResolve(req: ApiRequest, ctx: ApiContext): ApiResponse {
  const name = req.query.get('name');
  const type = typeCode(req.query.get('type') ?? 'A');
  const clientText = req.query.get('client') ?? '';
  const client = addressBytes(clientText);
  const ecsText = req.query.get('ecs') ?? undefined;
  const ecs = ecsText === undefined ? undefined : parseCidr(ecsText);
  if (!name) return error(400, 'BAD_PARAMETER', 'name is required', { field: 'name' });
  if (type === undefined)
    return error(400, 'BAD_PARAMETER', `unknown type ${req.query.get('type')}`, { field: 'type' });
  if (!client)
    return error(400, 'BAD_PARAMETER', 'client must be an IPv4 or IPv6 address', {
      field: 'client',
    });
  if (ecs && !ecs.ok) return error(400, 'BAD_PARAMETER', `ecs: ${ecs.error}`, { field: 'ecs' });
  const explained = explain(
    { name, type, client, clientText, ecs: ecs?.value, ecsText },
    ctx.view().snapshot,
    ctx.chooser,
  );
  return { status: 200, body: resolveView(explained, client) };
}

/** 503 with Retry-After: the request was fine, the server could not do it now; asking again later may work. */
function unavailable(code: string, message: string): ApiResponse {
  return { ...error(503, code, message), headers: { 'retry-after': '5' } };
}

function percentDecoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined; // URIError: "%zz", a lone "%", bytes that are not UTF-8
  }
}

function fqdn(zone: string): string {
  return zone.endsWith('.') ? zone.toLowerCase() : `${zone.toLowerCase()}.`;
}

function intParam(req: ApiRequest, key: string, fallback: number): Result<number> {
  const v = req.query.get(key);
  if (v === null) return ok(fallback);
  return /^\d{1,15}$/.test(v) ? ok(Number(v)) : fail(`${key} must be a non-negative integer`);
}
