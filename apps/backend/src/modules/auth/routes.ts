// /auth: thin HTTP layer over the auth service.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { NoContent, problems } from '../../platform/schemas.js';
import type { Config } from '../../config.js';
import { clientKey } from '../../platform/rate-limit.js';
import type { AuthService } from './service.js';
import * as S from './schemas.js';

const tags = ['auth'];

export function authRoutes(app: FastifyInstance, service: AuthService, config: Config) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  // Request limits (docs/auth/rate-limits.md); sign-in attempts are counted by the service (failures only).
  const refreshLimit = app.rateLimitCheck({
    name: 'refresh:ip',
    max: config.REFRESH_MAX_PER_IP,
    windowSeconds: config.REFRESH_WINDOW_SECONDS,
    key: clientKey,
  });
  const reset = { max: config.PASSWORD_RESET_MAX_PER_IP, windowSeconds: config.PASSWORD_RESET_WINDOW_SECONDS };
  const resetPerIp = app.rateLimitCheck({ name: 'password-reset:ip', ...reset, key: clientKey });
  const resetPerEmail = app.rateLimitCheck({
    name: 'password-reset:email',
    ...reset,
    max: config.PASSWORD_RESET_MAX_PER_EMAIL,
    key: (req) => (req.body as S.ResetRequestBody).email.toLowerCase(),
  });
  const meta = (req: { ip: string; headers: Record<string, string | string[] | undefined> }) => ({
    ip: req.ip,
    userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : null,
  });

  r.post(
    '/auth/login',
    {
      config: { permission: 'public' },
      schema: {
        tags,
        description: `429 (Retry-After: seconds to wait) after ${config.LOGIN_MAX_ATTEMPTS} failed sign-ins for the e-mail or ${config.LOGIN_MAX_ATTEMPTS_PER_IP} from the client address within ${config.LOGIN_WINDOW_SECONDS} s`,
        body: S.LoginBody,
        response: { 200: S.TokenPair, ...problems(400, 401, 429) },
      },
    },
    async (req) => service.login(req.body.email, req.body.password, meta(req)),
  );

  r.post(
    '/auth/refresh',
    {
      config: { permission: 'public' },
      onRequest: refreshLimit,
      schema: {
        tags,
        description: `429 (Retry-After: seconds to wait) after ${config.REFRESH_MAX_PER_IP} refreshes from the client address within ${config.REFRESH_WINDOW_SECONDS} s`,
        body: S.RefreshBody,
        response: { 200: S.TokenPair, ...problems(400, 401, 409, 429) },
      },
    },
    async (req) => service.refresh(req.body.refresh_token),
  );

  r.post(
    '/auth/logout',
    { config: { permission: 'authenticated' }, schema: { tags, response: { 204: Type.Null(), ...problems(401) } } },
    async (req, reply) => {
      const p = app.requirePrincipal(req);
      await service.logout(p.userId, p.sessionId);
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/auth/logout-all',
    { config: { permission: 'authenticated' }, schema: { tags, response: { 204: Type.Null(), ...problems(401) } } },
    async (req, reply) => {
      await service.logoutAll(app.requirePrincipal(req).userId);
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/auth/sessions',
    {
      config: { permission: 'authenticated' },
      schema: { tags, response: { 200: Type.Object({ data: Type.Array(S.Session) }), ...problems(401) } },
    },
    async (req) => {
      const p = app.requirePrincipal(req);
      return { data: await service.listSessions(p.userId, p.sessionId) };
    },
  );

  r.delete(
    '/auth/sessions/:id',
    {
      config: { permission: 'authenticated' },
      schema: { tags, params: S.SessionParams, response: { 204: Type.Null(), ...problems(401, 404) } },
    },
    async (req, reply) => {
      await service.deleteSession(app.requirePrincipal(req).userId, req.params.id);
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/auth/me',
    { config: { permission: 'authenticated' }, schema: { tags, response: { 200: S.Me, ...problems(401) } } },
    async (req) => {
      const p = app.requirePrincipal(req);
      const user = await service.me(p.userId);
      // The principal already carries the role's permissions: no second lookup.
      return {
        id: user.id,
        email: user.email,
        name: user.name,
        role: user.role,
        permissions: [...p.permissions].sort(),
        session_id: p.sessionId,
      };
    },
  );

  r.post(
    '/auth/me/password',
    {
      config: { permission: 'authenticated' },
      schema: { tags, body: S.ChangePasswordBody, response: { 204: Type.Null(), ...problems(400, 401, 422) } },
    },
    async (req, reply) => {
      const p = app.requirePrincipal(req);
      await service.changePassword(p.userId, p.sessionId, req.body.current_password, req.body.new_password);
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/auth/password-reset',
    {
      config: { permission: 'public' },
      onRequest: resetPerIp,
      preHandler: resetPerEmail,
      schema: {
        tags,
        description:
          'Always 202, with no body: whether the e-mail exists is never revealed. A new request replaces the earlier link of that ' +
          `user. 429 (Retry-After: seconds to wait) after ${config.PASSWORD_RESET_MAX_PER_EMAIL} requests for the e-mail or ${config.PASSWORD_RESET_MAX_PER_IP} from the client address within ${config.PASSWORD_RESET_WINDOW_SECONDS} s`,
        body: S.ResetRequestBody,
        response: { 202: NoContent, ...problems(400, 429) },
      },
    },
    async (req, reply) => {
      // Answered before the work is done so that known and unknown e-mails take the same time.
      service
        .requestPasswordReset(req.body.email)
        .catch((err: Error) => req.log.error({ err }, 'password reset request failed'));
      return reply.code(202).send();
    },
  );

  r.post(
    '/auth/password-reset/confirm',
    {
      config: { permission: 'public' },
      schema: { tags, body: S.ResetConfirmBody, response: { 204: Type.Null(), ...problems(400, 422, 429) } },
    },
    async (req, reply) => {
      await service.confirmPasswordReset(req.body.token, req.body.new_password);
      return reply.code(204).send(null);
    },
  );
}
