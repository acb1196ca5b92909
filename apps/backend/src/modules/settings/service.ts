// Settings rules: values checked against the registry, written under one revision with optimistic concurrency,
// read through the shared cache (one snapshot of everything, public view and its ETag included), invalidated
// when the writing transaction commits.
import { createHash } from 'node:crypto';
import type { Cache } from '../../platform/cache/index.js';
import type { Db } from '../../platform/db.js';
import type { Principal } from '../../platform/auth.js';
import { AppError, badRequest, notFound, preconditionFailed } from '../../platform/errors.js';
import { normalise, PUBLIC_KEYS, SETTINGS, SETTING_KEYS } from './registry.js';
import type { LogoInfo, SettingsRepository } from './repository.js';
import { sniffImage } from './image.js';
import { LOGO_MAX_BYTES, type PublicSettings, type Settings } from './schemas.js';

export const SETTINGS_TAG = 'settings';
export const LOGO_PATH = '/api/v1/settings/logo';
export const SVG_MESSAGE = 'SVG logos are refused (they can carry scripts); send a PNG or JPEG';

export interface Snapshot {
  settings: Settings;
  public: { body: PublicSettings; etag: string };
}

const logoUrl = (logo: LogoInfo) => `${LOGO_PATH}?v=${logo.sha256.slice(0, 16)}`;
const strongEtag = (value: unknown) =>
  `"${createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 22)}"`;

function buildSnapshot(rows: Awaited<ReturnType<SettingsRepository['rows']>>, logo: LogoInfo | null): Snapshot {
  const stored = new Map(rows.map((r) => [r.key, r]));
  const settings = Object.fromEntries(
    SETTING_KEYS.map((k) => {
      const row = stored.get(k);
      const spec = SETTINGS[k];
      return [
        k,
        {
          value: row ? row.value : spec.default,
          default: spec.default,
          public: spec.public,
          description: spec.description,
          version: row?.version ?? null,
          updated_at: row?.updated_at ?? null,
          updated_by: row?.updated_by ?? null,
        },
      ];
    }),
  ) as Settings['settings'];
  const body = {
    ...Object.fromEntries(PUBLIC_KEYS.map((k) => [k, (settings as Record<string, { value: unknown }>)[k]!.value])),
    logo_url: logo ? logoUrl(logo) : null,
  } as PublicSettings;
  return {
    settings: {
      version: Math.max(1, ...rows.map((r) => r.version)),
      settings,
      logo: logo ? { ...logo, url: logoUrl(logo) } : null,
    },
    public: { body, etag: strongEtag(body) },
  };
}

export function createSettingsService(d: { db: Db; repo: SettingsRepository; cache: Cache }) {
  const { db, repo, cache } = d;
  const snapshots = d.cache.region<Snapshot>('settings');
  // In memory the bytes themselves; in Redis as base64.
  type Logo = { content_type: string; bytes: Buffer } | null;
  const logos = d.cache.region<Logo>('logo', {
    encode: (l) => l && { content_type: l.content_type, base64: l.bytes.toString('base64') },
    decode: (s) => {
      const l = s as { content_type: string; base64: string } | null;
      return l && { content_type: l.content_type, bytes: Buffer.from(l.base64, 'base64') };
    },
  });

  const snapshot = () =>
    snapshots.get('all', [SETTINGS_TAG], async () => buildSnapshot(await repo.rows(), await repo.logoInfo()));

  return {
    snapshot,
    get: async () => (await snapshot()).settings,

    async update(actor: Principal, body: Record<string, unknown>, expected: number | null) {
      const changes = SETTING_KEYS.filter((k) => body[k] !== undefined).map(
        (k) => [k, normalise(k, body[k])] as [string, unknown],
      );
      if (!changes.length) throw badRequest('Nothing to change', [{ path: 'body', message: 'names no setting' }]);
      await db.transaction(
        async (tx) => {
          const revision = await repo.lockRevision(tx);
          if (expected !== null && expected !== revision)
            throw preconditionFailed(
              `The settings were changed by someone else (version ${revision}, you sent ${expected}); reload and retry`,
            );
          const changed = await repo.upsert(changes, revision + 1, actor.userId, tx);
          if (changed.length) cache.invalidateOnCommit(tx, [SETTINGS_TAG]);
        },
        { userId: actor.userId },
      );
      return (await snapshot()).settings;
    },

    /** Stores the logo after checking what it is from its bytes; 413 past 256 KiB, 415 for anything else. */
    async putLogo(actor: Principal, bytes: Buffer) {
      if (bytes.length === 0) throw badRequest('The logo is empty', [{ path: 'body', message: 'is empty' }]);
      if (bytes.length > LOGO_MAX_BYTES)
        throw new AppError(413, 'payload_too_large', `The logo must be at most ${LOGO_MAX_BYTES / 1024} KiB`);
      const type = sniffImage(bytes);
      if (type === 'svg') throw new AppError(415, 'unsupported_image', SVG_MESSAGE);
      if (!type)
        throw new AppError(415, 'unsupported_image', 'The logo must be a PNG or JPEG image (checked from its bytes)');
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      await db.transaction(
        async (tx) => {
          await repo.putLogo({ content: bytes, contentType: type, sha256 }, actor.userId, tx);
          cache.invalidateOnCommit(tx, [SETTINGS_TAG]);
        },
        { userId: actor.userId },
      );
      return (await snapshot()).settings.logo!;
    },

    async deleteLogo(actor: Principal) {
      const deleted = await db.transaction(
        async (tx) => {
          const n = await repo.deleteLogo(tx);
          if (n) cache.invalidateOnCommit(tx, [SETTINGS_TAG]);
          return n;
        },
        { userId: actor.userId },
      );
      if (!deleted) throw notFound('Logo');
    },

    /** The current logo (its bytes cached under its hash), or 404. */
    async logo() {
      const info = (await snapshot()).settings.logo;
      if (!info) throw notFound('Logo');
      const content = await logos.get(info.sha256, [SETTINGS_TAG], async () => {
        const row = await repo.logoContent(info.sha256);
        return row && { content_type: row.content_type, bytes: row.content };
      });
      if (!content) throw notFound('Logo'); // replaced a moment ago: the client asks again
      return { info, ...content };
    },
  };
}

export type SettingsService = ReturnType<typeof createSettingsService>;
