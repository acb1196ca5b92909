// Every setting the organisation may change, in code: its key, TypeBox schema, default, whether it is public
// (served without a token, to login screens) and what it means. PostgreSQL keeps only the values someone
// changed (table `settings`); a key without a row answers its default. A new setting is one entry here.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Email, Nullable } from '../../platform/schemas.js';

export interface SettingSpec<S extends TSchema = TSchema> {
  schema: S;
  default: Static<S>;
  public: boolean;
  description: string;
}

const spec = <S extends TSchema>(schema: S, dflt: Static<S>, isPublic: boolean, description: string) => ({
  schema,
  default: dflt,
  public: isPublic,
  description,
});

/** `#rrggbb` (stored lower-case; the database checks the same). */
export const Color = Type.String({ pattern: '^#[0-9a-fA-F]{6}$', maxLength: 7, description: '#rrggbb' });

export const SETTINGS = {
  organisation_name: spec(
    Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
    'Acolhe',
    true,
    'Full name of the organisation, on login screens and documents',
  ),
  organisation_short_name: spec(
    Type.String({ minLength: 1, maxLength: 40, pattern: '\\S' }),
    'Acolhe',
    true,
    'Short name, where space is tight (menus, the browser tab)',
  ),
  primary_color: spec(Color, '#7b2d6b', true, 'Main brand colour'),
  secondary_color: spec(Color, '#f2a541', true, 'Accent colour'),
  contact_email: spec(Nullable(Email), null, true, 'Where people write to the organisation'),
  contact_phone: spec(
    Nullable(Type.String({ pattern: '^\\+?[0-9][0-9 ()-]{6,24}$', maxLength: 25 })),
    null,
    true,
    'Phone number people call, digits with optional +, spaces, dashes and brackets',
  ),
  privacy_notice_url: spec(
    Nullable(Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 500 })),
    null,
    true,
    'Link to the privacy notice (LGPD), shown on login screens',
  ),
  staff_notice: spec(
    Type.String({ maxLength: 1000 }),
    '',
    false,
    'A notice shown to signed-in staff (planned maintenance, a policy change); empty for none',
  ),
} satisfies Record<string, SettingSpec>;

export type SettingKey = keyof typeof SETTINGS;
export type SettingValues = { [K in SettingKey]: Static<(typeof SETTINGS)[K]['schema']> };

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];
export const PUBLIC_KEYS = SETTING_KEYS.filter((k) => SETTINGS[k].public);

/** The value as stored: colours lower-case, text trimmed. */
export function normalise(key: SettingKey, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return SETTINGS[key].schema === Color ? value.toLowerCase() : value.trim();
}
