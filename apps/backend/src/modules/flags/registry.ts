// Every feature flag, in code: its default, what it gates, who owns it and when it must be gone. A flag is for a
// gradual release, not for ever: test/modules/flags.test.ts fails once a flag is past its expiry date, so the
// owner removes the flag (and the code path it no longer needs) or consciously moves the date.
export interface FlagSpec {
  default: boolean;
  description: string;
  owner: string;
  /** YYYY-MM-DD: the last day the flag may exist. */
  expires: string;
}

export const FLAGS = {
  web_new_attendance_sheet: {
    default: false,
    description: 'The redesigned attendance sheet in the web app (one screen per session, tolerant of a lost network)',
    owner: 'web team',
    expires: '2027-06-30',
  },
  web_beneficiary_timeline: {
    default: false,
    description: "A beneficiary's history as one timeline (status changes, enrolments, attendance) in the web app",
    owner: 'web team',
    expires: '2027-03-31',
  },
} satisfies Record<string, FlagSpec>;

export type FlagKey = keyof typeof FLAGS;
export const FLAG_KEYS = Object.keys(FLAGS) as FlagKey[];
export const isFlagKey = (key: string): key is FlagKey => Object.hasOwn(FLAGS, key);
