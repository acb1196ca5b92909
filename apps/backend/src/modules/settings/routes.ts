// /settings: the organisation's settings and logo. Reads of the public ones need no token (login screens).
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { expectedVersion, isNotModified, sendVersioned } from '../../platform/http.js';
import { NoContent, problems } from '../../platform/schemas.js';
import { AppError } from '../../platform/errors.js';
import { SVG_MESSAGE, type SettingsService } from './service.js';
import * as S from './schemas.js';

const tags = ['settings'];
const manage = { permission: 'settings:manage' as const };
// Served from memory and varying with no input: not counted against the unauthenticated-request limit
// (docs/auth/rate-limits.md), so an office behind one address never loses its login screen's branding.
const publicCached = { permission: 'public' as const, anonymousLimit: false as const };
const svgRefused = () => new AppError(415, 'unsupported_image', SVG_MESSAGE);
const notBytes = () =>
  new AppError(
    415,
    'unsupported_media_type',
    'Send the image itself, with Content-Type image/png, image/jpeg or application/octet-stream',
  );
const NotModified = { ...NoContent, description: 'Not Modified: the copy named by If-None-Match is current' };

export function settingsRoutes(app: FastifyInstance, service: SettingsService) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  // The logo upload arrives as the image bytes; what they are is decided from the bytes (image.ts).
  r.addContentTypeParser(
    ['image/png', 'image/jpeg', 'application/octet-stream'],
    { parseAs: 'buffer', bodyLimit: S.LOGO_MAX_BYTES },
    (_req, body, done) => done(null, body),
  );
  r.addContentTypeParser('image/svg+xml', (_req, _payload, done) => done(svgRefused()));

  r.get(
    '/settings',
    {
      config: { permission: 'authenticated' },
      schema: {
        tags,
        description: 'Every setting with its value, default and who set it last; the ETag is the settings revision.',
        response: { 200: S.Settings, ...problems(401) },
      },
    },
    async (_req, reply) => sendVersioned(reply, await service.get()),
  );

  r.patch(
    '/settings',
    {
      config: manage,
      schema: {
        tags,
        description:
          'Changes the named settings in one revision. Optimistic concurrency: If-Match with the ETag of GET ' +
          '(or `version`); 412 when someone changed the settings since.',
        body: S.SettingsPatch,
        response: { 200: S.Settings, ...problems(400, 401, 403, 412, 422) },
      },
    },
    async (req, reply) =>
      sendVersioned(reply, await service.update(app.requirePrincipal(req), req.body, expectedVersion(req))),
  );

  r.get(
    '/settings/public',
    {
      config: publicCached,
      schema: {
        tags,
        description:
          'The public settings (branding for login screens), without a token. ETag and Cache-Control: no-cache; ' +
          '304 to an If-None-Match naming the current ETag.',
        headers: S.IfNoneMatch,
        response: { 200: S.PublicSettings, 304: NotModified },
      },
    },
    async (req, reply) => {
      const { body, etag } = (await service.snapshot()).public;
      reply.header('etag', etag).header('cache-control', 'public, no-cache');
      if (isNotModified(req, etag)) return reply.code(304).send();
      return body;
    },
  );

  r.get(
    '/settings/logo',
    {
      config: publicCached,
      schema: {
        tags,
        description:
          'The logo, without a token. With `v` (as in logo_url) naming the current image it may be cached for a ' +
          'year; without, revalidate (ETag, 304).',
        querystring: S.LogoQuery,
        headers: S.IfNoneMatch,
        response: {
          200: {
            description: 'The image',
            content: {
              'image/png': { schema: { type: 'string', format: 'binary' } },
              'image/jpeg': { schema: { type: 'string', format: 'binary' } },
            },
          },
          304: NotModified,
          ...problems(404),
        },
      },
    },
    async (req, reply) => {
      const logo = await service.logo();
      const etag = `"${logo.info.sha256.slice(0, 32)}"`;
      const pinned = req.query.v !== undefined && logo.info.sha256.startsWith(req.query.v);
      reply
        .header('etag', etag)
        .header('last-modified', new Date(logo.info.updated_at).toUTCString())
        .header('cache-control', pinned ? 'public, max-age=31536000, immutable' : 'public, no-cache');
      if (isNotModified(req, etag)) return reply.code(304).send();
      return reply.type(logo.content_type).send(logo.bytes);
    },
  );

  r.put(
    '/settings/logo',
    {
      config: manage,
      bodyLimit: S.LOGO_MAX_BYTES,
      // Any other media type Fastify can parse (JSON) is not an image.
      preValidation: (req, _reply, done) => done(Buffer.isBuffer(req.body) ? undefined : notBytes()),
      schema: {
        tags,
        description:
          'Replaces the logo: the request body is the image itself, PNG or JPEG, at most 256 KiB. Its type is ' +
          'read from the bytes (the Content-Type and any file name are ignored); SVG and anything else: 415.',
        body: S.LogoBody,
        response: { 200: S.LogoInfo, ...problems(400, 401, 403) },
      },
    },
    async (req) => service.putLogo(app.requirePrincipal(req), req.body as Buffer),
  );

  r.delete(
    '/settings/logo',
    {
      config: manage,
      schema: { tags, description: 'Removes the logo.', response: { 204: NoContent, ...problems(401, 403, 404) } },
    },
    async (req, reply) => {
      await service.deleteLogo(app.requirePrincipal(req));
      return reply.code(204).send();
    },
  );
}
