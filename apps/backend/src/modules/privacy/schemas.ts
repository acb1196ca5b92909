import { Type, type Static } from '@sinclair/typebox';
import { Id, ID_PATTERN, Nullable, Timestamp, Version } from '../../platform/schemas.js';
import { Page, PageQuery } from '../../platform/pagination.js';

export const LEGAL_BASES = [
  'consent',
  'legal_obligation',
  'public_policy',
  'research',
  'contract',
  'exercise_of_rights',
  'protection_of_life',
  'health_protection',
  'legitimate_interest',
] as const;
const literals = <T extends string>(values: readonly T[], description?: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    description ? { description } : {},
  );

export const Purpose = Type.Object({
  code: Type.String(),
  name: Type.String(),
  description: Type.String(),
  legal_basis: literals(LEGAL_BASES, 'LGPD legal basis (art. 7; art. 11 for sensitive data)'),
  legal_reference: Type.String(),
  retention_months: Type.Integer({ description: 'months her data is kept after she is archived' }),
});
export const PurposeList = Type.Object({ data: Type.Array(Purpose) });

export const Notice = Type.Object({
  version: Type.Integer(),
  title: Type.String(),
  body: Type.String(),
  published_at: Timestamp,
  published_by: Nullable(Type.String()),
});
export const NoticeList = Type.Object({ data: Type.Array(Notice, { description: 'newest version first' }) });
export const PublishNoticeBody = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 200 }),
    body: Type.String({ minLength: 1, maxLength: 100_000 }),
  },
  { additionalProperties: false },
);
export type PublishNotice = Static<typeof PublishNoticeBody>;

export const CONSENT_METHODS = ['in_person_signed', 'in_person_verbal', 'phone', 'online', 'legal_guardian'] as const;
export const Consent = Type.Object({
  id: Type.String(),
  beneficiary_id: Type.String(),
  purpose_code: Type.String(),
  purpose_name: Type.String(),
  notice_version: Nullable(Type.Integer()),
  granted: Type.Boolean(),
  method: literals(CONSENT_METHODS),
  recorded_by: Nullable(Type.String()),
  recorded_at: Timestamp,
});
export const ConsentState = Type.Object({
  current: Type.Array(Consent, {
    description: 'her newest event per purpose (granted: true means consent is current), by purpose',
  }),
  events: Type.Array(Consent, { description: 'every grant and revocation, newest first (append-only)' }),
});
export const RecordConsentBody = Type.Object(
  {
    purpose_code: Type.String({ pattern: '^[a-z][a-z0-9_]{1,49}$', maxLength: 50 }),
    granted: Type.Boolean({ description: 'true: she grants consent; false: she revokes it' }),
    method: literals(CONSENT_METHODS, 'how it was collected'),
    notice_version: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'the notice she was shown (default: the newest)' }),
    ),
  },
  { additionalProperties: false },
);
export type RecordConsent = Static<typeof RecordConsentBody>;

export const REQUEST_TYPES = [
  'access',
  'correction',
  'portability',
  'anonymisation',
  'deletion',
  'sharing_info',
] as const;
export const REQUEST_STATUSES = ['received', 'in_progress', 'completed', 'refused'] as const;
export const REQUEST_CHANNELS = ['in_person', 'phone', 'email', 'letter', 'online'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export const DataRequest = Type.Object({
  id: Type.String(),
  beneficiary_id: Type.String(),
  beneficiary_code: Type.String(),
  type: literals(REQUEST_TYPES),
  status: literals(REQUEST_STATUSES),
  channel: literals(REQUEST_CHANNELS),
  received_at: Timestamp,
  received_on: Type.String({ description: 'calendar day of receipt in ORG_TIMEZONE' }),
  due_on: Type.String({ description: 'answer due: 15 days after receipt' }),
  overdue: Type.Boolean({ description: 'open and past its due day (ORG_TIMEZONE)' }),
  handled_by: Nullable(Type.String()),
  notes: Nullable(Type.String()),
  closed_at: Nullable(Timestamp),
  version: Type.Integer(),
  created_at: Timestamp,
  updated_at: Timestamp,
  created_by: Nullable(Type.String()),
  updated_by: Nullable(Type.String()),
});
export const DataRequestPage = Page(DataRequest);

export const CreateRequestBody = Type.Object(
  {
    beneficiary_id: Id,
    type: literals(REQUEST_TYPES),
    channel: Type.Optional(literals(REQUEST_CHANNELS)),
    received_at: Type.Optional(
      Type.String({
        format: 'date-time',
        maxLength: 40,
        description: 'when it was received (default now; not in the future)',
      }),
    ),
    notes: Type.Optional(Nullable(Type.String({ maxLength: 5000 }))),
  },
  { additionalProperties: false },
);
export type CreateRequest = Static<typeof CreateRequestBody>;

export const UpdateRequestBody = Type.Object(
  {
    status: Type.Optional(literals(REQUEST_STATUSES)),
    handled_by: Type.Optional(Nullable(Id)),
    notes: Type.Optional(Nullable(Type.String({ maxLength: 5000 }))),
    version: Type.Optional(Version),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateRequest = Static<typeof UpdateRequestBody>;

export const ListRequestsQuery = Type.Object(
  {
    ...PageQuery,
    status: Type.Optional(literals(REQUEST_STATUSES)),
    type: Type.Optional(literals(REQUEST_TYPES)),
    beneficiary_id: Type.Optional(Id),
    overdue: Type.Optional(Type.Boolean({ description: 'only open requests past their due day' })),
  },
  { additionalProperties: false },
);
export type ListRequests = Static<typeof ListRequestsQuery>;

export const AnonymiseBody = Type.Object(
  {
    reason: Type.String({ minLength: 1, maxLength: 1000, description: 'why (kept in the audit trail)' }),
    request_id: Type.Optional(
      Type.String({
        pattern: ID_PATTERN,
        maxLength: 18,
        description: 'her open anonymisation or deletion request, completed by this anonymisation',
      }),
    ),
  },
  { additionalProperties: false },
);
export type Anonymise = Static<typeof AnonymiseBody>;

export const AnonymisationResult = Type.Object({
  beneficiary_id: Type.String(),
  anonymised_at: Timestamp,
  erased: Type.Array(Type.String(), { description: 'table.column changed (erased, pseudonymised or cut to the year)' }),
  rows_changed: Type.Record(Type.String(), Type.Integer(), { description: 'rows changed per table' }),
  audit_rows_scrubbed: Type.Integer({ description: 'audit_log rows whose copies of her values were purged' }),
  request_id: Nullable(Type.String()),
});

const Row = Type.Record(Type.String(), Type.Unknown(), { description: 'a database row as JSON (column → value)' });
export const DataSubjectExport = Type.Object({
  format: Type.Literal('acolhe.data-subject-export.v1'),
  generated_at: Timestamp,
  generated_by: Type.String({ description: 'staff user who exported it' }),
  beneficiary_id: Type.String(),
  record: Row,
  related: Type.Record(Type.String(), Type.Array(Row), {
    description:
      'every table holding rows about her (a beneficiary_id column): status history, vulnerabilities, enrolments, participation, attendance, consents, requests',
  }),
  consents: Type.Array(Consent, { description: 'her current consent per purpose' }),
  audit_trail: Type.Array(
    Type.Object({
      table_name: Type.String(),
      row_id: Type.String(),
      action: Type.String(),
      user_id: Nullable(Type.String()),
      changes: Type.Unknown(),
      occurred_at: Timestamp,
    }),
    { description: 'every recorded change of her rows (sensitive values redacted)' },
  ),
  access_log: Type.Array(
    Type.Object({
      occurred_at: Timestamp,
      action: Type.String({ description: 'read_sensitive (her sensitive data was read) or export' }),
      user_id: Nullable(Type.String()),
      user_name: Nullable(Type.String()),
      details: Type.Unknown({ description: 'the fields read, or the CPF/NIS lookup that found her' }),
    }),
    { description: 'who read her sensitive data and when, oldest first' },
  ),
  data_map: Type.Array(
    Type.Object({
      table: Type.String(),
      column: Type.String(),
      class: Type.String(),
      description: Type.String(),
    }),
    { description: 'what each exported field is (the column classification)' },
  ),
});
export type DataSubjectExportBody = Static<typeof DataSubjectExport>;
