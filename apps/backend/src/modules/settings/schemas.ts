// Request and response schemas of /settings, built from the registry: the contract names every key and its type.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Id, Nullable, Timestamp, Version } from '../../platform/schemas.js';
import { PUBLIC_KEYS, SETTINGS, SETTING_KEYS, type SettingKey } from './registry.js';

const byKey = <K extends SettingKey>(keys: K[], f: (k: K) => TSchema) =>
  Object.fromEntries(keys.map((k) => [k, f(k)])) as Record<K, TSchema>;

export const Revision = Type.Integer({
  minimum: 1,
  description: 'settings revision: the ETag, for If-Match (or `version`) on PATCH',
});

const Entry = (k: SettingKey) =>
  Type.Object({
    value: SETTINGS[k].schema,
    default: SETTINGS[k].schema,
    public: Type.Boolean({ description: 'served without a token by GET /settings/public' }),
    description: Type.String(),
    version: Nullable(Type.Integer({ description: 'revision that last wrote it; null: never set (the default)' })),
    updated_at: Nullable(Timestamp),
    updated_by: Nullable(Id),
  });

export const LogoInfo = Type.Object({
  content_type: Type.Union([Type.Literal('image/png'), Type.Literal('image/jpeg')]),
  byte_size: Type.Integer(),
  sha256: Type.String(),
  url: Type.String({ description: 'GET it here; the URL changes with the image, so it may be cached for good' }),
  version: Type.Integer(),
  updated_at: Timestamp,
  updated_by: Nullable(Id),
});

export const Settings = Type.Object({
  version: Revision,
  settings: Type.Object(byKey(SETTING_KEYS, Entry)),
  logo: Nullable(LogoInfo),
});
export type Settings = Static<typeof Settings>;

export const SettingsPatch = Type.Object(
  {
    ...Object.fromEntries(
      SETTING_KEYS.map((k) => [k, Type.Optional({ ...SETTINGS[k].schema, description: SETTINGS[k].description })]),
    ),
    version: Type.Optional(Version),
  },
  { additionalProperties: false, description: 'the settings to change; the others keep their values' },
);

export const PublicSettings = Type.Object({
  ...byKey(PUBLIC_KEYS, (k) => ({ ...SETTINGS[k].schema, description: SETTINGS[k].description })),
  logo_url: Nullable(Type.String({ description: 'the logo (GET /api/v1/settings/logo?v=...), or null' })),
});
export type PublicSettings = Static<typeof PublicSettings>;

export const IfNoneMatch = Type.Object({ 'if-none-match': Type.Optional(Type.String({ maxLength: 1000 })) });
export const LogoQuery = Type.Object(
  { v: Type.Optional(Type.String({ pattern: '^[0-9a-f]{1,64}$', description: 'the logo hash of logo_url' })) },
  { additionalProperties: false },
);

/** The logo upload: the image bytes themselves (PNG or JPEG, at most 256 KiB). */
export const LOGO_MAX_BYTES = 262_144;
const Binary = Type.Unsafe<Buffer>({ type: 'string', format: 'binary' });
export const LogoBody = {
  content: Object.fromEntries(
    ['image/png', 'image/jpeg', 'application/octet-stream'].map((t) => [t, { schema: Binary }]),
  ),
};
