import { Type, type Static } from '@sinclair/typebox';
import { DateString, Email, ID_PATTERN, Nullable, Timestamp, Version } from '../../platform/schemas.js';
import { Page, PageQuery } from '../../platform/pagination.js';
import { NIS_PATTERN } from '../../platform/documents.js';

const Name = Type.String({ minLength: 1, maxLength: 200 });
const Text = (max: number) => Type.String({ maxLength: max });
export const UF = Type.Union(
  'AC AL AP AM BA CE DF ES GO MA MT MS MG PA PB PR PE PI RJ RN RS RO RR SC SP SE TO'
    .split(' ')
    .map((uf) => Type.Literal(uf)),
  { description: 'two-letter state (UF)' },
);

const writable = {
  full_name: Name,
  social_name: Nullable(Name),
  // Loose on purpose: dots and dashes are stripped, then the check digits decide (422 naming cpf).
  cpf: Nullable(Type.String({ maxLength: 20, description: '11 digits, with or without punctuation' })),
  nis: Nullable(Type.String({ pattern: NIS_PATTERN, maxLength: 11 })),
  birth_date: Nullable(DateString),
  phone: Nullable(Type.String({ pattern: '^\\+?[0-9]{8,15}$', maxLength: 16 })),
  email: Nullable(Email),
  address_street: Nullable(Text(200)),
  address_number: Nullable(Text(20)),
  address_complement: Nullable(Text(100)),
  address_neighbourhood: Nullable(Text(100)),
  address_city: Nullable(Text(100)),
  address_state: Type.Union([UF, Type.Null()]),
  address_postal_code: Nullable(Type.String({ pattern: '^[0-9]{5}-?[0-9]{3}$', maxLength: 9 })),
  family_income: Type.Union([Type.Number({ minimum: 0, maximum: 9_999_999_999 }), Type.Null()]),
  dependents: Type.Integer({ minimum: 0, maximum: 50 }),
  notes: Nullable(Text(10_000)),
  vulnerabilities: Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_]{1,49}$', maxLength: 50 }), {
    maxItems: 50,
    uniqueItems: true,
    description: 'catalogue codes',
  }),
};

/** The columns a client writes, in table order (vulnerabilities is a relation, not a column). */
export const WRITABLE_COLUMNS = (Object.keys(writable) as (keyof typeof writable)[]).filter(
  (k): k is Exclude<keyof typeof writable, 'vulnerabilities'> => k !== 'vulnerabilities',
);

export const CreateBeneficiaryBody = Type.Object(
  {
    full_name: writable.full_name,
    social_name: Type.Optional(writable.social_name),
    cpf: Type.Optional(writable.cpf),
    nis: Type.Optional(writable.nis),
    birth_date: Type.Optional(writable.birth_date),
    phone: Type.Optional(writable.phone),
    email: Type.Optional(writable.email),
    address_street: Type.Optional(writable.address_street),
    address_number: Type.Optional(writable.address_number),
    address_complement: Type.Optional(writable.address_complement),
    address_neighbourhood: Type.Optional(writable.address_neighbourhood),
    address_city: Type.Optional(writable.address_city),
    address_state: Type.Optional(writable.address_state),
    address_postal_code: Type.Optional(writable.address_postal_code),
    family_income: Type.Optional(writable.family_income),
    dependents: Type.Optional(writable.dependents),
    notes: Type.Optional(writable.notes),
    vulnerabilities: Type.Optional(writable.vulnerabilities),
  },
  { additionalProperties: false },
);
export type CreateBeneficiary = Static<typeof CreateBeneficiaryBody>;

export const UpdateBeneficiaryBody = Type.Object(
  {
    ...Type.Partial(CreateBeneficiaryBody).properties,
    status: Type.Optional(
      Type.Union([Type.Literal('active'), Type.Literal('inactive')], {
        description: 'archive through POST .../archive',
      }),
    ),
    status_reason: Type.Optional(Nullable(Text(1000))),
    version: Type.Optional(Version),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateBeneficiary = Static<typeof UpdateBeneficiaryBody>;

export const ArchiveBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 1000 }), version: Type.Optional(Version) },
  { additionalProperties: false },
);
export const RestoreBody = Type.Object(
  { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })), version: Type.Optional(Version) },
  { additionalProperties: false },
);

const VulnerabilityRef = Type.Object({ id: Type.String(), code: Type.String(), name: Type.String() });
const EnrollmentSummary = Type.Object({
  id: Type.String(),
  project_id: Type.String(),
  project_name: Type.String(),
  status: Type.String(),
  created_at: Timestamp,
  decided_at: Nullable(Timestamp),
});
const NullableString = Nullable(Type.String());

/** Without the fields the classification may mask: what everyone may see. */
const publicProps = {
  id: Type.String(),
  code: Type.String(),
  full_name: Type.String(),
  social_name: NullableString,
  birth_date: NullableString,
  phone: NullableString,
  email: NullableString,
  dependents: Type.Integer(),
  status: Type.String(),
  status_reason: NullableString,
  archived_at: Nullable(Timestamp),
  anonymised_at: Nullable(Timestamp),
  notes: NullableString,
  version: Type.Integer(),
  created_at: Timestamp,
  updated_at: Timestamp,
  created_by: NullableString,
  updated_by: NullableString,
};
/**
 * The fields only holders of beneficiaries:read_sensitive receive: the columns classified sensitive
 * (platform/sensitive-data.ts, read from the database) and her vulnerabilities. Optional, because the service
 * leaves them out otherwise (the SQL does not even select them); the repository refuses to start when the
 * classification masks a field this schema requires, and a test keeps this list equal to the classification.
 */
const maskedProps = {
  cpf: Type.Optional(NullableString),
  nis: Type.Optional(NullableString),
  address_street: Type.Optional(NullableString),
  address_number: Type.Optional(NullableString),
  address_complement: Type.Optional(NullableString),
  address_neighbourhood: Type.Optional(NullableString),
  address_city: Type.Optional(NullableString),
  address_state: Type.Optional(NullableString),
  address_postal_code: Type.Optional(NullableString),
  family_income: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  vulnerabilities: Type.Optional(Type.Array(VulnerabilityRef)),
};
/** Fields a response may leave out for a caller without beneficiaries:read_sensitive. */
export const MASKABLE_FIELDS: ReadonlySet<string> = new Set(Object.keys(maskedProps));
/** Every column the record shows (vulnerabilities and enrollments are relations). */
export const RECORD_COLUMNS = [...Object.keys(publicProps), ...Object.keys(maskedProps)].filter(
  (k) => k !== 'vulnerabilities',
);

export const BeneficiaryListItem = Type.Object(publicProps);
/** One schema for both audiences: the masked properties are present only for holders of read_sensitive. */
export const Beneficiary = Type.Object({
  ...publicProps,
  ...maskedProps,
  enrollments: Type.Optional(Type.Array(EnrollmentSummary)),
});
export const BeneficiaryPage = Page(BeneficiaryListItem);

export const ListBeneficiariesQuery = Type.Object(
  {
    ...PageQuery,
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description:
          'name or social name (typos tolerated), or an exact code; 11 digits (punctuation allowed) look up a CPF or NIS, which needs beneficiaries:read_sensitive (403 otherwise) and is recorded in the audit trail',
      }),
    ),
    status: Type.Optional(
      Type.Union([Type.Literal('active'), Type.Literal('inactive'), Type.Literal('archived')], {
        description: 'default: active and inactive',
      }),
    ),
    neighbourhood: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: 'needs beneficiaries:read_sensitive' }),
    ),
    project_id: Type.Optional(
      Type.String({
        pattern: ID_PATTERN,
        description: 'with a pending, approved or completed enrolment in this project',
      }),
    ),
    created_from: Type.Optional(DateString),
    created_to: Type.Optional(DateString),
    sort: Type.Optional(
      Type.Union(
        [Type.Literal('name'), Type.Literal('-name'), Type.Literal('created_at'), Type.Literal('-created_at')],
        {
          description: 'default name; with q the order is by relevance',
        },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ListBeneficiaries = Static<typeof ListBeneficiariesQuery>;

export const Vulnerability = Type.Object({
  id: Type.String(),
  code: Type.String(),
  name: Type.String(),
  description: Type.String(),
  active: Type.Boolean(),
});
export const VulnerabilityList = Type.Object({ data: Type.Array(Vulnerability) });
