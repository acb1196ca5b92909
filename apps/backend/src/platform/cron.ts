// Cron schedules of the jobs: checked when the configuration loads and when a job is defined (a bad expression
// stops the app, naming the variable that set it), and the next run of each, in the organisation's time zone.
import cronParser from 'cron-parser';

export const OFF = 'off';

/** The cron expression, validated, or null when the schedule is off or absent. */
export function checkedCron(cron: string | undefined, tz: string, variable: string): string | null {
  if (cron === undefined || cron.trim() === OFF) return null;
  try {
    cronParser.parseExpression(cron, { tz });
  } catch (err) {
    throw new Error(
      `Invalid configuration: ${variable} must be a cron expression or off (got ${JSON.stringify(cron)}: ${(err as Error).message})`,
    );
  }
  return cron.trim();
}

/** The first time after `from` the expression fires, in `tz`. */
export function nextRun(cron: string, tz: string, from = new Date()): Date {
  return cronParser.parseExpression(cron, { tz, currentDate: from }).next().toDate();
}
