// Environment for the child processes tests start under tsx (CLI runs, the test services, a server).
// Their coverage is left out on purpose: tsx's source maps do not reach tap's coverage, and its offsets
// merged with those of the same files loaded by tap's own loader garble the report (docs/development.md).
/** For children started with a clean environment: only this is needed to keep them out of coverage. */
export const NO_COVERAGE = { _TAPJS_PROCESSINFO_COVERAGE_: '0' } as const;

export function childEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...extra })) if (v !== undefined) env[k] = v;
  return { ...env, ...NO_COVERAGE };
}
