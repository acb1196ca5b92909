// Evaluation of a flag for one user, in memory: the state someone set (or none) and the rules in order.
import { createHash } from 'node:crypto';
import type { FlagSpec } from './registry.js';

export const REASONS = ['default', 'role', 'user', 'percentage', 'off'] as const;
export type Reason = (typeof REASONS)[number];

export interface FlagState {
  key: string;
  enabled: boolean;
  roles: string[];
  user_ids: string[];
  percentage: number;
  version: number;
  updated_at: Date | string;
  updated_by: string | null;
}

export interface Subject {
  userId: string;
  role: string;
}

/**
 * The user's place in [0, 100) for this flag: stable across instances and restarts, independent between flags
 * (the key is hashed with the user, so the same users are not always the first to get every flag).
 */
export function bucket(flagKey: string, userId: string): number {
  return (createHash('sha256').update(`${flagKey}:${userId}`).digest().readUInt32BE(0) % 10_000) / 100;
}

/**
 * No state: the default. Off: false for everyone. On: a listed user, then a listed role, then the user's bucket
 * under the percentage turn it on; otherwise the default.
 */
export function evaluate(key: string, spec: FlagSpec, state: FlagState | undefined, who: Subject) {
  if (!state) return { value: spec.default, reason: 'default' as Reason };
  if (!state.enabled) return { value: false, reason: 'off' as Reason };
  if (state.user_ids.includes(who.userId)) return { value: true, reason: 'user' as Reason };
  if (state.roles.includes(who.role)) return { value: true, reason: 'role' as Reason };
  if (state.percentage > 0 && bucket(key, who.userId) < state.percentage)
    return { value: true, reason: 'percentage' as Reason };
  return { value: spec.default, reason: 'default' as Reason };
}
