// Brazilian personal document numbers, checked the same way everywhere: the API (friendly 422s), the staging
// generator and the test fixtures import these; the database checks the same rules (cpf_is_valid(), the
// beneficiaries_nis_check pattern).

/** The two CPF check digits of a 9-digit base (Receita Federal algorithm). */
export function cpfCheckDigits(base9: string): string {
  let d1 = 0;
  for (let i = 0; i < 9; i++) d1 += Number(base9[i]) * (10 - i);
  d1 = ((d1 * 10) % 11) % 10;
  let d2 = 0;
  for (let i = 0; i < 9; i++) d2 += Number(base9[i]) * (11 - i);
  d2 = (((d2 + d1 * 2) * 10) % 11) % 10;
  return `${d1}${d2}`;
}

/** The same rule as the database's cpf_is_valid(): 11 digits, not all equal, both check digits right. */
export function isValidCpf(cpf: string): boolean {
  if (!/^[0-9]{11}$/.test(cpf) || /^(.)\1{10}$/.test(cpf)) return false;
  return cpfCheckDigits(cpf.slice(0, 9)) === cpf.slice(9);
}

/** "529.982.247-25" → "52998224725": the punctuation people type is dropped (the result may still be invalid). */
export const cpfDigits = (raw: string) => raw.replace(/[.\-\s]/g, '');

/** NIS (PIS/PASEP/NIT): 11 digits. Only the format is a rule, here and in the database (beneficiaries_nis_check). */
export const NIS_PATTERN = '^[0-9]{11}$';
