// Feature flags: states written with optimistic concurrency and audited, read through the cache, evaluated by
// the in-project OpenFeature provider. Everything here asks the OpenFeature client, never the provider.
import { randomUUID } from 'node:crypto';
import { OpenFeature } from '@openfeature/server-sdk';
import type { Cache } from '../../platform/cache/index.js';
import type { Db } from '../../platform/db.js';
import type { Principal } from '../../platform/auth.js';
import { notFound, preconditionFailed, unprocessable } from '../../platform/errors.js';
import type { FlagState } from './evaluate.js';
import { AcolheFlagProvider } from './provider.js';
import { FLAGS, FLAG_KEYS, isFlagKey, type FlagKey } from './registry.js';
import type { FlagsRepository } from './repository.js';
import type { AdminFlag, CallerFlags, PutFlagBody } from './schemas.js';

export const FLAGS_TAG = 'flags';

function adminView(key: FlagKey, s: FlagState | undefined): AdminFlag {
  const { description, owner, expires, default: dflt } = FLAGS[key];
  const state = s && {
    enabled: s.enabled,
    roles: s.roles,
    user_ids: s.user_ids,
    percentage: s.percentage,
    version: s.version,
    updated_at: s.updated_at,
    updated_by: s.updated_by,
  };
  return { key, description, owner, expires, default: dflt, state: state ?? null };
}

export function createFlagsService(d: { db: Db; repo: FlagsRepository; cache: Cache }) {
  const { db, repo, cache } = d;
  const region = cache.region<FlagState[]>('flags');
  const states = async () =>
    new Map((await region.get('all', [FLAGS_TAG], () => repo.states())).map((s) => [s.key, s]));
  // A domain of its own per app: several apps in one process (tests) keep their providers apart.
  const domain = `acolhe-${randomUUID()}`;
  OpenFeature.setProvider(domain, new AcolheFlagProvider(states));
  const client = OpenFeature.getClient(domain);
  const context = (p: Principal) => ({ targetingKey: p.userId, role: p.role });

  return {
    async evaluateAll(p: Principal): Promise<CallerFlags> {
      const details = await Promise.all(
        FLAG_KEYS.map((k) => client.getBooleanDetails(k, FLAGS[k].default, context(p))),
      );
      return {
        flags: Object.fromEntries(
          details.map((x) => [x.flagKey, { value: x.value, reason: x.errorCode ? 'error' : x.reason }]),
        ) as CallerFlags['flags'],
      };
    },

    async list() {
      const s = await states();
      return { data: FLAG_KEYS.map((k) => adminView(k, s.get(k))) };
    },

    async put(actor: Principal, key: string, body: PutFlagBody, expected: number | null) {
      if (!isFlagKey(key)) throw notFound('Flag');
      const roles = [...new Set(body.roles)];
      const userIds = [...new Set(body.user_ids)];
      const saved = await db.transaction(
        async (tx) => {
          const current = await repo.lock(key, tx);
          if (expected !== null && expected !== current?.version)
            throw preconditionFailed(
              `The flag was changed by someone else (version ${current?.version ?? 'none'}, you sent ${expected}); reload and retry`,
            );
          const unknown = await repo.unknownTargets(roles, userIds, tx);
          if (unknown.roles.length || unknown.user_ids.length)
            throw unprocessable('The flag names roles or users that do not exist', [
              ...(unknown.roles.length
                ? [{ path: 'body.roles', message: `unknown: ${unknown.roles.join(', ')}` }]
                : []),
              ...(unknown.user_ids.length
                ? [{ path: 'body.user_ids', message: `unknown: ${unknown.user_ids.join(', ')}` }]
                : []),
            ]);
          const row = await repo.upsert(
            key,
            { enabled: body.enabled, roles, user_ids: userIds, percentage: body.percentage },
            actor.userId,
            tx,
          );
          cache.invalidateOnCommit(tx, [FLAGS_TAG]);
          return row;
        },
        { userId: actor.userId },
      );
      return { ...adminView(key, saved), version: saved.version };
    },
  };
}

export type FlagsService = ReturnType<typeof createFlagsService>;
