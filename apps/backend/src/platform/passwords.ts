// argon2id hashing. Parameters (docs/auth/README.md): 19 MiB, t=2, p=1 — OWASP's minimum for argon2id,
// about 30 ms per hash here, so a login stays cheap for us and costly for an offline attacker.
import argon2 from 'argon2';

export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string) => argon2.hash(password, ARGON2_OPTIONS);

// A real hash of a random string: unknown e-mails are verified against it so both answers cost the same.
let dummy: Promise<string> | undefined;

export async function verifyPassword(hash: string | null, password: string): Promise<boolean> {
  dummy ??= hashPassword(`dummy-${Math.random()}`);
  try {
    const ok = await argon2.verify(hash ?? (await dummy), password);
    return hash !== null && ok;
  } catch {
    return false;
  }
}
