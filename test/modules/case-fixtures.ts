// Shared fixtures for the case-management tests (not a test file itself).
import type { TestContext } from '../helpers/app.js';
import type { TestUser } from '../helpers/auth.js';
import { cpfCheckDigits } from '../../apps/backend/src/platform/documents.js';

/** A valid CPF built from a 9-digit base (check digits computed). */
export function cpf(base: number): string {
  const base9 = String(base).padStart(9, '0');
  return base9 + cpfCheckDigits(base9);
}

export async function setupProject(ctx: TestContext, u: TestUser, over: Record<string, unknown> = {}) {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/projects',
    headers: u.headers,
    payload: {
      name: `Projeto ${Math.random().toString(36).slice(2, 8)}`,
      start_date: '2026-01-01',
      end_date: '2026-12-31',
      coordinator_id: u.id,
      status: 'active',
      ...over,
    },
  });
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json() as { id: string; name: string; version: number };
}

export async function setupWorkshop(
  ctx: TestContext,
  u: TestUser,
  projectId: string,
  over: Record<string, unknown> = {},
) {
  return ctx.app.inject({
    method: 'POST',
    url: '/api/v1/workshops',
    headers: u.headers,
    payload: {
      project_id: projectId,
      title: `Oficina ${Math.random().toString(36).slice(2, 8)}`,
      facilitator_id: u.id,
      start_date: '2026-02-01',
      end_date: '2026-06-30',
      weekdays: [1, 3],
      start_time: '09:00',
      end_time: '11:00',
      capacity: 10,
      ...over,
    },
  });
}

/** A new beneficiary with only a name; returns her id. */
export async function newBeneficiary(ctx: TestContext, u: TestUser, full_name: string): Promise<string> {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/beneficiaries',
    headers: u.headers,
    payload: { full_name },
  });
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json().id as string;
}

/** POST /workshops/:id/participants, answered as is. */
export function addParticipant(ctx: TestContext, u: TestUser, workshopId: string, beneficiaryId: string) {
  return ctx.app.inject({
    method: 'POST',
    url: `/api/v1/workshops/${workshopId}/participants`,
    headers: u.headers,
    payload: { beneficiary_id: beneficiaryId },
  });
}

/** A beneficiary with an approved enrolment in the project. */
export async function approvedBeneficiary(ctx: TestContext, u: TestUser, projectId: string, name = 'Rosa Maria') {
  const b = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/beneficiaries',
    headers: u.headers,
    payload: { full_name: name },
  });
  const e = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/enrollments',
    headers: u.headers,
    payload: { beneficiary_id: b.json().id, project_id: projectId },
  });
  const a = await ctx.app.inject({
    method: 'POST',
    url: `/api/v1/enrollments/${e.json().id}/approve`,
    headers: u.headers,
    payload: {},
  });
  if (a.statusCode !== 200) throw new Error(a.body);
  return { beneficiaryId: b.json().id as string, enrollmentId: e.json().id as string };
}

/**
 * Project or workshop dates that always hold today (in every time zone): whole years around the current
 * one, so tests that record attendance "today" keep working whatever year they run in.
 */
const thisYear = new Date().getUTCFullYear();
export const AROUND_TODAY = { start_date: `${thisYear - 2}-01-01`, end_date: `${thisYear + 2}-12-31` };
