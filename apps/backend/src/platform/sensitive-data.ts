// The classification of personal data: one definition that the beneficiaries repository (column lists), its
// response schema, the audit trigger's redaction arguments (checked by test/architecture) and the tests use.

/** A beneficiary's sensitive columns: read only with beneficiaries:read_sensitive, never listed, and never
 * copied into the audit trail (the trigger records that they changed, not their values). */
export const BENEFICIARY_SENSITIVE_COLUMNS = [
  'cpf',
  'nis',
  'family_income',
  'address_street',
  'address_number',
  'address_complement',
  'address_neighbourhood',
  'address_city',
  'address_state',
  'address_postal_code',
] as const;

/** What a sensitive read reveals: those columns and her vulnerabilities (a relation); recorded with each read. */
export const BENEFICIARY_SENSITIVE_FIELDS = [...BENEFICIARY_SENSITIVE_COLUMNS, 'vulnerabilities'] as const;
export type BeneficiarySensitiveField = (typeof BENEFICIARY_SENSITIVE_FIELDS)[number];

/**
 * Per table, the redaction arguments of its audit_row_change() trigger (after the key columns): columns whose
 * values never reach audit_log. A table not named here redacts nothing. A migration that changes a trigger
 * changes this too (test/architecture/sensitive-data.test.ts compares them).
 */
export const REDACTED_IN_AUDIT: Readonly<Record<string, readonly string[]>> = {
  users: ['password_hash'],
  beneficiaries: BENEFICIARY_SENSITIVE_COLUMNS,
  webhook_subscriptions: ['signing_secret', 'previous_signing_secret'],
};
