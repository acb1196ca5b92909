// What the feed carries: one topic per business table, each readable with a permission (authorization is
// checked per event), and the access topics the streams use internally and never deliver.
export const TOPICS = {
  beneficiaries: 'beneficiaries:read',
  projects: 'projects:read',
  workshops: 'workshops:read',
  enrollments: 'enrollments:read',
  // Participants are part of the workshop as the API shows it (GET /workshops/:id/participants).
  workshop_participants: 'workshops:read',
  attendance: 'attendance:read',
} as const;

export type Topic = keyof typeof TOPICS;
export const TOPIC_NAMES = Object.keys(TOPICS) as Topic[];

export const isTopic = (t: string): t is Topic => Object.hasOwn(TOPICS, t);

/** A session ended (row_id = session id) / an account deactivated, re-roled or deleted (row_id = user id). */
export const ACCESS_TOPICS = { sessions: 'sessions', users: 'users' } as const;

/** The topics of `wanted` (all when null) that `permissions` may read. */
export function readableTopics(permissions: ReadonlySet<string>, wanted: readonly Topic[] | null): Topic[] {
  return (wanted ?? TOPIC_NAMES).filter((t) => permissions.has(TOPICS[t]));
}
