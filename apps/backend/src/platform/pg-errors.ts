// PostgreSQL SQLSTATE → API error. Names the field a constraint guards, never echoes the driver's message
// (it can hold personal data such as a duplicate CPF).
import type { DatabaseError } from 'pg';
import { AppError, type FieldError } from './errors.js';

/** An AppError raised by the database layer; keeps the SQLSTATE and constraint for services that refine it. */
export class DbError extends AppError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly pgCode: string | undefined,
    readonly constraint: string | undefined,
    errors?: FieldError[],
  ) {
    super(status, code, message, errors);
    this.name = 'DbError';
  }
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
export const RETRYABLE_TX_CODES = new Set(['40001', '40P01']);

export function isPgError(err: unknown): err is DatabaseError {
  return (
    typeof err === 'object' && err !== null && 'severity' in err && typeof (err as { code?: unknown }).code === 'string'
  );
}

/**
 * Field(s) named by a constraint violation: from the error's column, `Key (a, b)=` in the detail, or the
 * constraint name.
 */
export function constraintFields(err: Pick<DatabaseError, 'column' | 'detail' | 'constraint' | 'table'>): string[] {
  if (err.column) return [err.column];
  const key = err.detail?.match(/^Key \(([^)]+)\)/);
  if (key?.[1])
    return key[1].split(',').map((c) =>
      c
        .trim()
        .replace(/^lower\(|\)$/g, '')
        .replace(/::\w+$/, ''),
    );
  if (err.constraint) {
    // Convention (docs/database/conventions.md): <table>_<field>_<check|key|fkey|excl>.
    let name = err.constraint;
    if (err.table && name.startsWith(`${err.table}_`)) name = name.slice(err.table.length + 1);
    return [name.replace(/_(check|key|fkey|excl|idx|unique)$/, '')];
  }
  return [];
}

function fieldErrors(err: DatabaseError, message: string): FieldError[] {
  return constraintFields(err).map((f) => ({ path: `body.${f}`, message }));
}

/**
 * Rules a trigger enforces about the state of the whole system rather than one value: their violation is a
 * conflict with that state (409 with its own code), not an invalid field.
 */
const STATE_RULES: Record<string, { code: string; message: string }> = {
  users_last_administrator: {
    code: 'last_administrator',
    message:
      'This change would leave no active user holding both users:manage and roles:manage (the last administrator)',
  },
  enrollments_consent_required: {
    code: 'consent_required',
    message: 'The project serves a purpose that rests on consent, and she has no current consent to it',
  },
  beneficiaries_anonymised_at_check: {
    code: 'anonymised',
    message: 'The beneficiary was anonymised: her record can no longer change',
  },
  consents_append_only: {
    code: 'append_only',
    message: 'Consents are append-only: record a new grant or revocation instead',
  },
  privacy_notices_append_only: {
    code: 'append_only',
    message: 'Privacy notices are append-only: publish a new version instead',
  },
};

export function mapPgError(err: unknown): DbError {
  const e = err as DatabaseError & { code?: string };
  const code = e.code;
  const wrap = (status: number, apiCode: string, msg: string, errors?: FieldError[]) =>
    new DbError(status, apiCode, msg, code, e.constraint, errors);
  const rule = e.constraint ? STATE_RULES[e.constraint] : undefined;
  if (rule && code === '23514') return wrap(409, rule.code, rule.message);
  switch (code) {
    case '23505': {
      const fields = constraintFields(e);
      return wrap(
        409,
        'already_exists',
        `A record with this ${fields.join(', ') || 'value'} already exists`,
        fieldErrors(e, 'is already taken'),
      );
    }
    case '23503': {
      const fields = constraintFields(e);
      const referenced = e.detail?.includes('is still referenced');
      return wrap(
        409,
        referenced ? 'still_referenced' : 'reference_not_found',
        referenced
          ? 'The record is still referenced by other records'
          : `The referenced ${fields.join(', ') || 'record'} does not exist`,
        referenced ? undefined : fieldErrors(e, 'refers to a record that does not exist'),
      );
    }
    case '23P01':
      return wrap(409, 'overlap', 'The record overlaps an existing one', fieldErrors(e, 'overlaps an existing record'));
    case '23514':
      return wrap(
        422,
        'check_violation',
        `Invalid ${constraintFields(e).join(', ') || 'value'}`,
        fieldErrors(e, 'is invalid'),
      );
    case '23502':
      return wrap(422, 'not_null_violation', `${e.column ?? 'A field'} is required`, fieldErrors(e, 'is required'));
    case '22P02':
    case '22007':
    case '22008':
    case '22003':
    case '22001':
      return wrap(400, 'invalid_value', 'A value has the wrong format or is out of range');
    case '57014':
      return wrap(503, 'query_timeout', 'The database took too long to answer; retry shortly');
    case '40001':
    case '40P01':
      return wrap(503, 'concurrency_conflict', 'The request conflicted with a concurrent one; retry it');
    case '55P03':
      return wrap(503, 'lock_timeout', 'The record is busy; retry shortly');
    case '53300':
    case '57P01':
    case '57P02':
    case '57P03':
      return wrap(503, 'database_unavailable', 'The database is unavailable; retry shortly');
    default:
      if ((code && (code.startsWith('08') || CONNECTION_CODES.has(code))) || isConnectionFailure(err)) {
        return wrap(503, 'database_unavailable', 'The database is unavailable; retry shortly');
      }
      return wrap(500, 'internal_error', 'An unexpected error occurred; the request id identifies it in the logs');
  }
}

/** pg's own client-side failures carry no SQLSTATE: a dropped or refused connection. */
export function isConnectionFailure(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|terminating connection|ECONNREFUSED|ECONNRESET|Client was closed|Cannot use a pool after calling end/i.test(
    msg,
  );
}
