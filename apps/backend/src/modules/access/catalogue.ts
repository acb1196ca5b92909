// The permission catalogue and the default roles (documented in docs/auth/roles.md).
// Permissions are `resource:action`; routes declare the one they need. The seed inserts these rows;
// a role an admin has edited keeps its edits (only permissions new to the catalogue are added, to admin).
export const PERMISSIONS = {
  'users:manage': 'Create, update and deactivate staff accounts',
  'roles:read': 'See roles and the permission catalogue',
  'roles:manage': 'Create roles and change their permissions',
  'beneficiaries:read': 'See beneficiaries (without sensitive personal data)',
  'beneficiaries:read_sensitive': 'See CPF, NIS, income, address and vulnerabilities',
  'beneficiaries:write': 'Create and update beneficiaries',
  'beneficiaries:archive': 'Archive and restore beneficiaries',
  'projects:read': 'See projects',
  'projects:write': 'Create and update projects',
  'workshops:read': 'See workshops and their participants',
  'workshops:write': 'Create and update workshops and their participants',
  'enrollments:read': 'See enrolments',
  'enrollments:write': 'Enrol beneficiaries in projects',
  'enrollments:decide': 'Approve, reject, withdraw and complete enrolments',
  'attendance:read': 'See attendance sheets and rates',
  'attendance:write': 'Record attendance',
  'audit:read': 'Read the audit trail',
  'ops:read': 'See database and operational insight, jobs and their runs',
  'ops:manage': 'Run jobs now (backup, restore test, maintenance, pruning)',
  'integrations:manage': 'Create, change and delete webhooks; see and retry their deliveries',
  'privacy:manage': 'Data-subject requests, exports of everything held about a person, anonymisation, privacy notices',
  'reports:read': 'See and export aggregate reports (counts only, small counts suppressed)',
  'reports:refresh': 'Refresh the report views on demand',
  'settings:manage': 'Change the organisation settings, logo and feature flags',
} as const;

export type Permission = keyof typeof PERMISSIONS;

const ALL = Object.keys(PERMISSIONS) as Permission[];
const READ_CASES: Permission[] = [
  'beneficiaries:read',
  'projects:read',
  'workshops:read',
  'enrollments:read',
  'attendance:read',
];

export const DEFAULT_ROLES: Record<string, { description: string; permissions: Permission[] }> = {
  admin: { description: 'Everything, including staff accounts, roles and operations', permissions: ALL },
  coordinator: {
    description: 'Runs programmes: all case work, decisions on enrolments, the audit trail',
    permissions: [
      ...READ_CASES,
      'roles:read',
      'beneficiaries:read_sensitive',
      'beneficiaries:write',
      'beneficiaries:archive',
      'projects:write',
      'workshops:write',
      'enrollments:write',
      'enrollments:decide',
      'attendance:write',
      'audit:read',
      'reports:read',
      'reports:refresh',
    ],
  },
  social_worker: {
    description: 'Follows beneficiaries: full records including sensitive data, enrolments',
    permissions: [
      ...READ_CASES,
      'beneficiaries:read_sensitive',
      'beneficiaries:write',
      'beneficiaries:archive',
      'enrollments:write',
      'attendance:write',
      'reports:read',
    ],
  },
  educator: {
    description: 'Runs workshops: participants and attendance, no sensitive data',
    permissions: [...READ_CASES, 'workshops:write', 'attendance:write', 'reports:read'],
  },
  receptionist: {
    description: 'Registers people and enrolment requests, no sensitive data',
    permissions: [
      'beneficiaries:read',
      'beneficiaries:write',
      'projects:read',
      'workshops:read',
      'enrollments:read',
      'enrollments:write',
    ],
  },
  viewer: { description: 'Reads case records, no sensitive data', permissions: [...READ_CASES, 'reports:read'] },
};
