import { isIPv4, isIPv6 } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import type { rebuildServer as Rebuild } from './server-image-actions.js';
type ServerRow = Awaited<ReturnType<typeof Rebuild>>['row'];
import { callerOf } from '../../http/request.js';
import { atLeast, type Microversion } from '../../http/microversion.js';
import { invalid } from '../../domain/errors.js';
import { NOVA_BOOLEANS, pyRepr } from './nova-validation.js';
import { createServerImage, rebuildServer, type RebuildInput } from './server-image-actions.js';

/** Renders a server as the show view of the request's microversion (compute.routes.ts' view). */
export type ServerViewer = (request: FastifyRequest, row: ServerRow) => Promise<Record<string, unknown>>;

const bad = (field: string, value: unknown, why: string) =>
  invalid(`Invalid input for field/attribute ${field}. Value: ${printed(value)}. ${why}`);
const printed = (v: unknown) => (typeof v === 'string' ? v : pyRepr(v));

/** The properties of Nova's rebuild schema, with the microversions that have them ([from, to]). */
const REBUILD_GATES: Record<string, [number, number]> = {
  name: [1, Infinity],
  imageRef: [1, Infinity],
  adminPass: [1, Infinity],
  metadata: [1, Infinity],
  preserve_ephemeral: [1, Infinity],
  'OS-DCF:diskConfig': [1, Infinity],
  accessIPv4: [1, Infinity],
  accessIPv6: [1, Infinity],
  personality: [1, 56],
  description: [19, Infinity],
  key_name: [54, Infinity],
  user_data: [57, Infinity],
  trusted_image_certificates: [63, Infinity],
  hostname: [90, Infinity],
};

function str(field: string, v: unknown, opts: { min?: number; max?: number; nullable?: boolean } = {}): string | null {
  if (v === null && opts.nullable) return null;
  if (typeof v !== 'string') throw bad(field, v, `${pyRepr(v)} is not of type 'string'`);
  if (opts.min !== undefined && v.length < opts.min) throw bad(field, v, `${pyRepr(v)} is too short`);
  if (opts.max !== undefined && v.length > opts.max) throw bad(field, v, `${pyRepr(v)} is too long`);
  return v;
}
const must = <T>(v: T): T => v;

/** Nova's schemas/servers.py rebuild (per microversion), its jsonschema messages. */
export function parseRebuild(mv: Microversion, value: unknown): RebuildInput {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw bad('rebuild', value, `${pyRepr(value)} is not of type 'object'`);
  const b = value as Record<string, unknown>;
  for (const k of Object.keys(b)) {
    const gate = REBUILD_GATES[k];
    if (!gate || !atLeast(mv, gate[0]) || (gate[1] !== Infinity && atLeast(mv, gate[1] + 1)))
      throw bad('rebuild', b, `Additional properties are not allowed ('${k}' was unexpected)`);
  }
  if (b.imageRef === undefined) throw bad('rebuild', b, "'imageRef' is a required property");
  const out: RebuildInput = { imageRef: must(str('imageRef', b.imageRef, { max: 255 })) as string };
  if (b.name !== undefined) {
    const name = must(str('name', b.name, { min: 1, max: 255 })) as string;
    if (name.trim() === '' || name !== name.trim())
      throw bad('name', name, `${pyRepr(name)} does not match '^(?! )[a-zA-Z0-9. _-]+(?<! )$'`);
    out.name = name;
  }
  if (b.adminPass !== undefined) out.adminPass = must(str('adminPass', b.adminPass, { max: 255 })) as string;
  if (b.metadata !== undefined) {
    const md = b.metadata;
    if (!md || typeof md !== 'object' || Array.isArray(md))
      throw bad('metadata', md, `${pyRepr(md)} is not of type 'object'`);
    for (const [k, v] of Object.entries(md)) {
      if (k.length < 1 || k.length > 255)
        throw bad('metadata', md, `${pyRepr(k)} does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{1,255}$'`);
      must(str(`metadata`, v, { max: 255 }));
    }
    out.metadata = md as Record<string, string>;
  }
  if (b.preserve_ephemeral !== undefined) {
    if (!NOVA_BOOLEANS.includes(b.preserve_ephemeral as boolean | string))
      throw bad(
        'preserve_ephemeral',
        b.preserve_ephemeral,
        `${pyRepr(b.preserve_ephemeral)} is not one of ${pyRepr(NOVA_BOOLEANS)}`,
      );
    out.preserveEphemeral = ['true', '1', 'on', 'yes'].includes(String(b.preserve_ephemeral).toLowerCase());
  }
  if (b['OS-DCF:diskConfig'] !== undefined && !['AUTO', 'MANUAL'].includes(b['OS-DCF:diskConfig'] as string))
    throw bad(
      'OS-DCF:diskConfig',
      b['OS-DCF:diskConfig'],
      `${pyRepr(b['OS-DCF:diskConfig'])} is not one of ['AUTO', 'MANUAL']`,
    );
  for (const [k, ok, kind] of [
    ['accessIPv4', isIPv4, 'ipv4'],
    ['accessIPv6', isIPv6, 'ipv6'],
  ] as const) {
    if (b[k] === undefined) continue;
    const v = must(str(k, b[k]));
    if (!ok(v as string)) throw bad(k, v, `${pyRepr(v)} is not a '${kind}'`);
    out[k] = v as string;
  }
  if (b.personality !== undefined) {
    if (!Array.isArray(b.personality))
      throw bad('personality', b.personality, `${pyRepr(b.personality)} is not of type 'array'`);
    out.personality = b.personality.map((f) => {
      const o = (f ?? {}) as Record<string, unknown>;
      return {
        path: must(str('path', o.path, { max: 255 })) as string,
        contents: must(str('contents', o.contents ?? '')) as string,
      };
    });
  }
  if (b.description !== undefined)
    out.description = must(str('description', b.description, { max: 255, nullable: true }));
  if (b.key_name !== undefined) out.keyName = must(str('key_name', b.key_name, { min: 1, max: 255, nullable: true }));
  if (b.user_data !== undefined) out.userData = must(str('user_data', b.user_data, { max: 65535, nullable: true }));
  if (b.trusted_image_certificates !== undefined) {
    const t = b.trusted_image_certificates;
    if (t !== null && (!Array.isArray(t) || t.length < 1 || t.some((c) => typeof c !== 'string' || c.length < 1)))
      throw bad('trusted_image_certificates', t, `${pyRepr(t)} is not valid under any of the given schemas`);
    out.trustedImageCertificates = t as string[] | null;
  }
  if (b.hostname !== undefined) out.hostname = must(str('hostname', b.hostname, { min: 1, max: 255 })) as string;
  return out;
}

/** Nova's create_image schema: name required (1-255, not blank), metadata of strings. */
export function parseCreateImage(value: unknown): { name: string; metadata: Record<string, string> } {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw bad('createImage', value, `${pyRepr(value)} is not of type 'object'`);
  const b = value as Record<string, unknown>;
  for (const k of Object.keys(b))
    if (k !== 'name' && k !== 'metadata')
      throw bad('createImage', b, `Additional properties are not allowed ('${k}' was unexpected)`);
  if (b.name === undefined) throw bad('createImage', b, "'name' is a required property");
  const name = must(str('name', b.name, { min: 1, max: 255 })) as string;
  if (name.trim() === '') throw bad('name', name, `${pyRepr(name)} does not match '^(?! )[a-zA-Z0-9. _-]+(?<! )$'`);
  const md = b.metadata ?? {};
  if (!md || typeof md !== 'object' || Array.isArray(md))
    throw bad('metadata', md, `${pyRepr(md)} is not of type 'object'`);
  for (const [k, v] of Object.entries(md)) {
    if (k.length < 1 || k.length > 255)
      throw bad('metadata', md, `${pyRepr(k)} does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{1,255}$'`);
    must(str('metadata', v, { max: 255 }));
  }
  return { name, metadata: md as Record<string, string> };
}

/**
 * Before 2.75 Nova's rebuild answers a reduced view (servers.py _action_rebuild: no extended
 * attributes, AZ, usage, config drive, key, security groups or volumes); from 2.75 the show view.
 */
function rebuildView(mv: Microversion, server: Record<string, unknown>): Record<string, unknown> {
  if (atLeast(mv, 75)) return server;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(server)) {
    if (/^OS-EXT-(AZ|STS|SRV-ATTR):|^OS-SRV-USG:|^os-extended-volumes:/.test(k)) continue;
    if (['config_drive', 'security_groups', 'host_status', 'server_groups'].includes(k)) continue;
    if (k === 'key_name' && !atLeast(mv, 54)) continue;
    if (k === 'user_data' && !atLeast(mv, 57)) continue;
    // extend_address=False: the addresses without their OS-EXT-IPS type and MAC.
    out[k] =
      k === 'addresses' && v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v as Record<string, Array<Record<string, unknown>>>).map(([net, list]) => [
              net,
              list.map(({ version, addr }) => ({ version, addr })),
            ]),
          )
        : v;
  }
  return out;
}

/** The image-making server actions; undefined for any other key (compute.routes.ts goes on). */
export async function serverImageAction(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  key: string,
  value: unknown,
  view: ServerViewer,
): Promise<unknown> {
  const caller = callerOf(request);
  const id = (request.params as { id: string }).id;
  if (key === 'rebuild') {
    const res = await rebuildServer(deps, caller, id, parseRebuild(request.mv, value));
    const server = rebuildView(request.mv, await view(request, res.row));
    // servers.py _action_rebuild: from 2.57 the body carries the server's user_data, in place of
    // the extended attribute (the 2.75 show view is built with show_user_data=False).
    if (atLeast(request.mv, 57)) {
      delete server['OS-EXT-SRV-ATTR:user_data'];
      server.user_data = res.row.user_data ?? null;
    }
    if (deps.config.enableInstancePassword !== 0) server.adminPass = res.adminPass;
    reply.code(202);
    return { server };
  }
  const input = parseCreateImage(value);
  const imageId = await createServerImage(deps, caller, id, input.name, input.metadata);
  reply.code(202);
  // 2.45: the image id in the body, no Location header; before, the Location of the image.
  if (atLeast(request.mv, 45)) return { image_id: imageId };
  reply.header('location', `${request.protocol}://${request.headers.host}/image/v2/images/${imageId}`);
  return reply.send();
}
