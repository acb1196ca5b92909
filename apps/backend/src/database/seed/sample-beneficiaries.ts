// Sample beneficiaries (only with ctx.withSamples: development, staging on request; never production), fictitious
// women to try the data-subject export, anonymisation and retention on (docs/privacy.md). Natural key: the CPF.
// One consents to contact by messaging, two are enrolled in a sample project, one was archived six years ago (so
// `npm run privacy:retention -- --dry-run` has someone to list). A sample that exists is left alone; an anonymised
// one has no CPF left, so the next seed adds her again as a new record (the anonymised one stays as it is).
import { cpfCheckDigits } from '../../platform/documents.js';
import type { SeedContext, SeedReport } from './types.js';

const cpf = (base9: string) => base9 + cpfCheckDigits(base9);

const SAMPLES = [
  {
    full_name: 'Maria das Dores Exemplo',
    cpf: cpf('900000001'),
    nis: '19000000001',
    birth_date: '1982-05-17',
    phone: '+5581990000001',
    email: 'maria.exemplo@exemplo.invalid',
    address_street: 'Rua Fictícia',
    address_number: '101',
    address_neighbourhood: 'Boa Vista',
    address_city: 'Recife',
    address_state: 'PE',
    address_postal_code: '50050000',
    family_income: 980,
    dependents: 2,
    notes: 'Registro de exemplo (dados fictícios)',
    vulnerabilities: ['single_parent', 'unemployment'],
    messaging: true,
    project: 'Costura e Renda',
    archivedYearsAgo: null,
  },
  {
    full_name: 'Joana Exemplar da Silva',
    cpf: cpf('900000002'),
    nis: '19000000002',
    birth_date: '1990-11-03',
    phone: '+5581990000002',
    email: null,
    address_street: 'Travessa Inventada',
    address_number: '7',
    address_neighbourhood: 'Casa Amarela',
    address_city: 'Recife',
    address_state: 'PE',
    address_postal_code: '52070000',
    family_income: 1500,
    dependents: 1,
    notes: null,
    vulnerabilities: ['domestic_violence'],
    messaging: false,
    project: 'Mulheres em Rede',
    archivedYearsAgo: null,
  },
  {
    full_name: 'Antônia Arquivada Modelo',
    cpf: cpf('900000003'),
    nis: null,
    birth_date: '1975-02-28',
    phone: '+5581990000003',
    email: null,
    address_street: 'Avenida de Mentira',
    address_number: '2000',
    address_neighbourhood: 'Afogados',
    address_city: 'Recife',
    address_state: 'PE',
    address_postal_code: '50770000',
    family_income: 600,
    dependents: 4,
    notes: 'Exemplo de registro arquivado há seis anos (prazo de guarda vencido)',
    vulnerabilities: ['food_insecurity'],
    messaging: false,
    project: null,
    archivedYearsAgo: 6,
  },
];

export async function seedSampleBeneficiaries({ db, tx, withSamples }: SeedContext): Promise<SeedReport> {
  if (!withSamples) return {};
  const counts = { beneficiaries: 0, consents: 0, enrollments: 0 };
  for (const s of SAMPLES) {
    const row = await db.maybeOne<{ id: string }>(
      {
        text: `INSERT INTO beneficiaries (full_name, cpf, nis, birth_date, phone, email, address_street, address_number,
                 address_neighbourhood, address_city, address_state, address_postal_code, family_income, dependents, notes)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
               ON CONFLICT (cpf) WHERE deleted_at IS NULL DO NOTHING
               RETURNING id`,
        values: [
          s.full_name,
          s.cpf,
          s.nis,
          s.birth_date,
          s.phone,
          s.email,
          s.address_street,
          s.address_number,
          s.address_neighbourhood,
          s.address_city,
          s.address_state,
          s.address_postal_code,
          s.family_income,
          s.dependents,
          s.notes,
        ],
      },
      tx,
    );
    if (!row) continue; // she exists: left alone
    counts.beneficiaries++;
    await db.execute(
      {
        text: `INSERT INTO beneficiary_vulnerabilities (beneficiary_id, vulnerability_id)
               SELECT $1, id FROM vulnerabilities WHERE code = ANY($2::text[])`,
        values: [row.id, s.vulnerabilities],
      },
      tx,
    );
    if (s.messaging)
      counts.consents += await db.execute(
        {
          text: `INSERT INTO consents (beneficiary_id, purpose_code, granted, method, notice_version)
                 SELECT $1, 'messaging_contact', true, 'in_person_signed', max(version) FROM privacy_notices`,
          values: [row.id],
        },
        tx,
      );
    if (s.project)
      counts.enrollments += await db.execute(
        {
          text: `INSERT INTO enrollments (beneficiary_id, project_id, notes)
                 SELECT $1, id, 'Inscrição de exemplo' FROM projects WHERE name = $2::citext AND status = 'active'`,
          values: [row.id, s.project],
        },
        tx,
      );
    if (s.archivedYearsAgo)
      await db.execute(
        {
          text: `UPDATE beneficiaries SET status = 'archived', status_reason = 'Mudou-se de cidade',
                        archived_at = now() - make_interval(years => $2)
                  WHERE id = $1`,
          values: [row.id, s.archivedYearsAgo],
        },
        tx,
      );
  }
  const report = (n: number, total: number) => ({ inserted: n, updated: 0, unchanged: total - n });
  return {
    beneficiaries: report(counts.beneficiaries, SAMPLES.length),
    consents: report(counts.consents, SAMPLES.filter((s) => s.messaging).length),
    enrollments: report(counts.enrollments, SAMPLES.filter((s) => s.project).length),
  };
}
