// CPF numbers with correct check digits (Receita Federal algorithm), unique per sequence number.

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

const SPACE = 1_000_000_000; // nine base digits
const MULTIPLIER = 387_420_489; // 3^18: coprime with 10^9, so x ↦ (x·M + k) mod 10^9 is a permutation
const isRepdigit = (n: number) => /^(.)\1{8}$/.test(String(n).padStart(9, '0'));

/**
 * The CPF of sequence number `n` (1 ≤ n < 111,111,111) under `seed`: an affine permutation of the nine
 * base digits, so two sequence numbers never share a CPF; the few repdigit bases (never issued) are
 * skipped by cycle-walking, which keeps the mapping one-to-one.
 */
export function cpfFor(seed: number, n: number): string {
  if (!Number.isInteger(n) || n < 1 || n >= 111_111_111) throw new RangeError(`CPF sequence number out of range: ${n}`);
  const offset = (Math.abs(seed) * 7_919 + 12_345) % SPACE;
  let x = n;
  do x = Number((BigInt(x) * BigInt(MULTIPLIER) + BigInt(offset)) % BigInt(SPACE));
  while (isRepdigit(x));
  const base = String(x).padStart(9, '0');
  return base + cpfCheckDigits(base);
}
