// Password rules (issue #4): 10 to 256 characters, not a common password, not the e-mail.
import fs from 'node:fs';
import { unprocessable } from './errors.js';

const COMMON = new Set(
  fs
    .readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((l) => l.trim().toLowerCase())
    .filter((l) => l && !l.startsWith('#')),
);

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 256;

/** Returns why the password is refused, or null when it is acceptable. */
export function passwordProblem(password: string, email?: string): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN) return `must have at least ${PASSWORD_MIN} characters`;
  if (length > PASSWORD_MAX) return `must have at most ${PASSWORD_MAX} characters`;
  if (COMMON.has(password.toLowerCase())) return 'is too common';
  if (email && password.toLowerCase() === email.toLowerCase()) return 'must not be the e-mail address';
  return null;
}

export function assertPasswordPolicy(password: string, email: string | undefined, field = 'password'): void {
  const problem = passwordProblem(password, email);
  if (problem)
    throw unprocessable(`The ${field.replace('_', ' ')} ${problem}`, [{ path: `body.${field}`, message: problem }]);
}
