// What a failed run records and reports (job_runs.error, GET /api/v1/admin/jobs, logs): the message a job or a
// tool gave, without what could carry personal data. PostgreSQL errors keep their SQLSTATE and message but
// lose quoted values ("invalid input syntax for type bigint: "..."") and DETAIL/CONTEXT lines (row contents).
const MAX = 1_000;

export function describeError(err: unknown): string {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  const isPg = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && 'severity' in e;
  const lines = e.message
    .split('\n')
    .filter((l) => !/^\s*(DETAIL|CONTEXT|HINT|LINE \d+|QUERY|STATEMENT):/i.test(l) && !/^\s*\^\s*$/.test(l));
  let text = lines.join('\n').trim() || e.name;
  if (isPg) text = `PostgreSQL ${code}: ${text.replace(/"[^"\n]*"/g, '"…"')}`;
  // E-mail addresses and long digit runs (CPF, NIS, phone numbers) never leave, whatever produced them.
  text = text.replace(/[^\s@"'<>]+@[^\s@"'<>]+/g, '[e-mail]').replace(/\d[\d.\-/]{9,}\d/g, '[number]');
  return text.length > MAX ? `${text.slice(0, MAX - 1)}…` : text;
}
