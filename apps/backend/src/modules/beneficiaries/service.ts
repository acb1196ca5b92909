// Beneficiary rules: CPF normalised and checked, sensitive data only for read_sensitive (and every such
// read logged), optimistic concurrency on writes, archived records read-only until restored.
import type { Db, Executor } from '../../platform/db.js';
import type { Principal } from '../../platform/auth.js';
import { badRequest, conflict, forbidden, notFound, preconditionFailed, unprocessable } from '../../platform/errors.js';
import { decodeCursor, toPage } from '../../platform/pagination.js';
import { cpfDigits, isValidCpf } from '../../platform/documents.js';
import type { Cache } from '../../platform/cache/index.js';
import type { BeneficiariesRepository, BeneficiaryRow, SortKey, VulnerabilityRow } from './repository.js';
import type { CreateBeneficiary, ListBeneficiaries, UpdateBeneficiary } from './schemas.js';

export const READ_SENSITIVE = 'beneficiaries:read_sensitive';

/** "529.982.247-25" → "52998224725"; 422 naming cpf when the result is not a valid CPF. */
export function normaliseCpf(raw: string): string {
  const digits = cpfDigits(raw);
  if (!isValidCpf(digits))
    throw unprocessable('The CPF is not valid', [
      { path: 'body.cpf', message: 'is not a valid CPF (11 digits with valid check digits)' },
    ]);
  return digits;
}

function normalise<T extends Partial<CreateBeneficiary>>(body: T): T {
  const out = { ...body };
  if (typeof out.cpf === 'string') out.cpf = normaliseCpf(out.cpf);
  if (typeof out.address_postal_code === 'string') out.address_postal_code = out.address_postal_code.replace('-', '');
  for (const k of ['full_name', 'social_name'] as const)
    if (typeof out[k] === 'string') out[k] = out[k].trim() as never;
  return out;
}

/** The cache tag of the vulnerability catalogue (written only by the seed, which invalidates it). */
export const VULNERABILITIES_TAG = 'vulnerabilities';

export function createBeneficiariesService(d: {
  db: Db;
  repo: BeneficiariesRepository;
  timezone: string;
  cache: Cache;
}) {
  const { db, repo } = d;
  const catalogue = d.cache.region<VulnerabilityRow[]>('vulnerabilities');
  const listVulnerabilities = () => catalogue.get('all', [VULNERABILITIES_TAG], () => repo.listVulnerabilities());

  /** Catalogue ids of the given codes; 422 naming the unknown or inactive ones. */
  async function vulnerabilityIds(codes: string[]): Promise<string[]> {
    const active = new Map((await listVulnerabilities()).filter((v) => v.active).map((v) => [v.code, v.id]));
    const found = codes.filter((c) => active.has(c)).map((code) => ({ code, id: active.get(code)! }));
    const missing = codes.filter((c) => !active.has(c));
    if (missing.length)
      throw unprocessable(`Unknown vulnerability ${missing.join(', ')}`, [
        { path: 'body.vulnerabilities', message: `unknown code(s): ${missing.join(', ')}` },
      ]);
    return found.map((f) => f.id);
  }

  /** Locks the row and checks the version the client read; 404 / 412 / 409 (archived) as appropriate. */
  async function lockForWrite(
    tx: Parameters<BeneficiariesRepository['lockState']>[1],
    id: string,
    version: number | null,
    allowArchived = false,
  ) {
    const row = await repo.lockState(id, tx);
    if (!row) throw notFound('Beneficiary');
    if (version !== null && row.version !== version) {
      throw preconditionFailed(
        `The beneficiary was changed by someone else (version ${row.version}, you sent ${version}); reload and retry`,
      );
    }
    if (row.anonymised) throw conflict('The beneficiary was anonymised: her record can no longer change', 'anonymised');
    if (!allowArchived && row.status === 'archived')
      throw conflict('The beneficiary is archived; restore her first', 'archived');
    return row;
  }

  const service = {
    /** The fields only holders of beneficiaries:read_sensitive receive (from the column classification). */
    sensitiveFields: repo.sensitiveFields as readonly string[],

    async get(actor: Principal, id: string): Promise<BeneficiaryRow> {
      const sensitive = actor.permissions.has(READ_SENSITIVE);
      const row = await repo.get(id, { sensitive, actorId: actor.userId });
      if (!row) throw notFound('Beneficiary');
      return row;
    },

    async create(actor: Principal, body: CreateBeneficiary) {
      const v = normalise(body);
      const vulns = v.vulnerabilities?.length ? await vulnerabilityIds(v.vulnerabilities) : [];
      const { id } = await db.transaction(
        async (tx) => {
          const row = await repo.insert(v, actor.userId, tx);
          if (vulns.length) await repo.replaceVulnerabilities(row.id, vulns, actor.userId, tx);
          return row;
        },
        { userId: actor.userId, timezone: v.birth_date ? d.timezone : undefined },
      );
      return service.get(actor, id);
    },

    async update(actor: Principal, id: string, body: UpdateBeneficiary, version: number | null) {
      const { version: _v, vulnerabilities, ...rest } = normalise(body);
      const set: Record<string, unknown> = { ...rest };
      // A status change without a reason must not inherit the previous status' reason in the history.
      if (set.status !== undefined && set.status_reason === undefined) set.status_reason = null;
      if (!Object.keys(set).length && !vulnerabilities)
        throw badRequest('Nothing to change', [{ path: 'body', message: 'names no field to change' }]);
      const vulns = vulnerabilities ? await vulnerabilityIds(vulnerabilities) : null;
      await db.transaction(
        async (tx) => {
          await lockForWrite(tx, id, version);
          await repo.update(id, set, actor.userId, tx);
          if (vulns) await repo.replaceVulnerabilities(id, vulns, actor.userId, tx);
        },
        { userId: actor.userId, timezone: rest.birth_date ? d.timezone : undefined },
      );
      return service.get(actor, id);
    },

    async archive(actor: Principal, id: string, reason: string, version: number | null) {
      await db.transaction(
        async (tx) => {
          const row = await lockForWrite(tx, id, version, true);
          if (row.status === 'archived') throw conflict('The beneficiary is already archived', 'invalid_transition');
          await repo.setArchived(id, true, reason, actor.userId, tx);
        },
        { userId: actor.userId },
      );
      return service.get(actor, id);
    },

    async restore(actor: Principal, id: string, reason: string | null, version: number | null) {
      await db.transaction(
        async (tx) => {
          const row = await lockForWrite(tx, id, version, true);
          if (row.status !== 'archived')
            throw conflict('Only an archived beneficiary can be restored', 'invalid_transition');
          await repo.setArchived(id, false, reason, actor.userId, tx);
        },
        { userId: actor.userId },
      );
      return service.get(actor, id);
    },

    /**
     * List or search; `reader` is where it runs (a replica with the caller's last write; see
     * platform/read-your-writes.ts). A CPF/NIS lookup writes its audit rows, so it stays on the primary.
     */
    async list(actor: Principal, q: ListBeneficiaries, reader?: Executor) {
      if (
        q.neighbourhood &&
        repo.sensitiveFields.includes('address_neighbourhood') &&
        !actor.permissions.has(READ_SENSITIVE)
      ) {
        throw forbidden(`Filtering by neighbourhood needs ${READ_SENSITIVE} (it reveals addresses)`);
      }
      if (q.created_from && q.created_to && q.created_from > q.created_to) {
        throw badRequest('created_from is after created_to', [
          { path: 'querystring.created_from', message: 'must not be after created_to' },
        ]);
      }
      const filter = {
        status: q.status,
        neighbourhood: q.neighbourhood,
        projectId: q.project_id,
        createdFrom: q.created_from,
        createdTo: q.created_to,
        timezone: d.timezone,
      };
      const strip = <R extends { sort_value?: unknown; score?: unknown }>(r: R) => {
        const { sort_value: _s, score: _c, ...rest } = r;
        return rest;
      };
      if (q.q !== undefined && q.q.trim() !== '') {
        const text = q.q.trim();
        const after = decodeCursor(q.cursor, ['number', 'id']);
        // 11 digits (punctuation allowed) is a CPF or NIS: a lookup of sensitive data, audited.
        const digits = cpfDigits(text);
        const lookup = /^[0-9]{11}$/.test(digits);
        if (lookup && !actor.permissions.has(READ_SENSITIVE))
          throw forbidden(`Searching by CPF or NIS needs ${READ_SENSITIVE} (it reveals whose number it is)`);
        const rows = lookup
          ? await repo.lookup(digits, filter, after, q.limit, actor.userId)
          : await repo.search(
              { text, code: /^b-[0-9]{6,}$/i.test(text) ? text.toUpperCase() : null },
              filter,
              after,
              q.limit,
              reader,
            );
        const page = toPage(rows, q.limit, (r) => [r.score, r.id]);
        return { data: page.data.map(strip), next_cursor: page.next_cursor };
      }
      const sort: SortKey = q.sort ?? 'name';
      const after = decodeCursor(q.cursor, sort.endsWith('created_at') ? ['timestamp', 'id'] : ['text', 'id']);
      const rows = await repo.list(filter, sort, after, q.limit, reader);
      const page = toPage(rows, q.limit, (r) => [r.sort_value, r.id]);
      return { data: page.data.map(strip), next_cursor: page.next_cursor };
    },

    vulnerabilities: async () => ({ data: await listVulnerabilities() }),
  };
  return service;
}

export type BeneficiariesService = ReturnType<typeof createBeneficiariesService>;
