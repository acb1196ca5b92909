// The vulnerability catalogue (always seeded). Natural key: code. An entry whose name or description
// changed here is updated; entries an admin added are left alone; nothing is ever deleted.
import type { SeedContext, SeedReport } from './types.js';

export const VULNERABILITIES: { code: string; name: string; description: string }[] = [
  {
    code: 'domestic_violence',
    name: 'Violência doméstica',
    description: 'Em situação de violência doméstica ou familiar',
  },
  { code: 'food_insecurity', name: 'Insegurança alimentar', description: 'Sem acesso regular a alimentação adequada' },
  { code: 'unemployment', name: 'Desemprego', description: 'Sem trabalho ou renda regular' },
  {
    code: 'housing_insecurity',
    name: 'Moradia precária',
    description: 'Sem moradia ou em moradia precária ou de risco',
  },
  {
    code: 'single_parent',
    name: 'Chefe de família monoparental',
    description: 'Única responsável pelo sustento de dependentes',
  },
  { code: 'disability', name: 'Deficiência', description: 'Pessoa com deficiência ou com dependente com deficiência' },
  {
    code: 'substance_use',
    name: 'Uso de substâncias',
    description: 'Uso problemático de álcool ou outras drogas na família',
  },
  { code: 'migrant', name: 'Migrante ou refugiada', description: 'Migrante, refugiada ou apátrida' },
  { code: 'low_schooling', name: 'Baixa escolaridade', description: 'Ensino fundamental incompleto' },
  { code: 'elderly_care', name: 'Cuidado de pessoa idosa', description: 'Responsável pelo cuidado de pessoa idosa' },
];

export async function seedVulnerabilities({ db, tx }: SeedContext): Promise<SeedReport> {
  const rows = await db.many<{ inserted: boolean }>(
    {
      text: `INSERT INTO vulnerabilities (code, name, description)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
             ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description
               WHERE (vulnerabilities.name, vulnerabilities.description) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description)
             RETURNING (xmax = 0) AS inserted`,
      values: [
        VULNERABILITIES.map((v) => v.code),
        VULNERABILITIES.map((v) => v.name),
        VULNERABILITIES.map((v) => v.description),
      ],
    },
    tx,
  );
  const inserted = rows.filter((r) => r.inserted).length;
  return {
    vulnerabilities: { inserted, updated: rows.length - inserted, unchanged: VULNERABILITIES.length - rows.length },
  };
}
