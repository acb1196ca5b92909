// Calendar arithmetic on day numbers (days since 1970-01-01), free of time zones: attendance days and
// workshop ranges are plain dates. Timestamps are written with São Paulo's fixed offset (-03, no DST
// since 2019) so a "09:30" registration reads as 09:30 in the organisation's calendar.

const MS_PER_DAY = 86_400_000;

export const dayOf = (iso: string): number => Math.floor(Date.parse(`${iso}T00:00:00Z`) / MS_PER_DAY);
export const isoDay = (day: number): string => new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
/** 1 = Monday ... 7 = Sunday, like extract(isodow FROM date). 1970-01-01 was a Thursday. */
export const isoWeekday = (day: number): number => ((((day + 3) % 7) + 7) % 7) + 1;
/** The Monday on or before `day`. */
export const mondayOf = (day: number): number => day - (isoWeekday(day) - 1);

/** A timestamptz literal on `day` at `minutes` after midnight, organisation time. */
export function stamp(day: number, minutes: number): string {
  const h = String(Math.floor(minutes / 60)).padStart(2, '0');
  const m = String(minutes % 60).padStart(2, '0');
  return `${isoDay(day)} ${h}:${m}:00-03`;
}

/** Today's date in a time zone, as a day number (never from UTC: 22:00 in São Paulo is still today). */
export function todayIn(timeZone: string, now = new Date()): number {
  return dayOf(
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now),
  );
}
