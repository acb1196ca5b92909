// CPF numbers with correct check digits (the platform's algorithm), unique per sequence number.
import { cpfCheckDigits } from '../../src/platform/documents.js';

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
