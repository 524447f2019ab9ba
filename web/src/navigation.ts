// The areas of the application and the permission each needs (docs/API.md, "Permissions and
// roles"). Areas whose screens are not built yet are listed as unavailable: they show in the
// navigation of the roles that will use them, without a link. An area with a `parent` is listed
// under it (registration and the duplicate screens under Patients), each with its own permission.
import type { Me } from './api';

export interface Area {
  label: string;
  path: string;
  /** Permission needed to see the area; undefined means every signed-in user. */
  permission?: string;
  available: boolean;
  /**
   * A further permission the built screen needs; users with `permission` but without this one
   * still see the area as "coming soon" (Patients: finding patients needs clinical.read for now).
   */
  alsoNeeds?: string;
  /** The area this one is listed under in the navigation (the master patient index under Patients). */
  parent?: string;
}

export const AREAS: readonly Area[] = [
  { label: 'Dashboard', path: '/', available: true },
  { label: 'Patients', path: '/patients', permission: 'patients.read', available: true, alsoNeeds: 'clinical.read' },
  { label: 'Registration', path: '/registration', permission: 'patients.register', available: true, parent: '/patients' },
  { label: 'Duplicate queue', path: '/duplicates', permission: 'patients.merge', available: true, parent: '/patients' },
  { label: 'Merge history', path: '/merges', permission: 'patients.merge', available: true, parent: '/patients' },
  { label: 'Duplicate report', path: '/duplicate-report', permission: 'patients.merge', available: true, parent: '/patients' },
  { label: 'Chart completion', path: '/chart', permission: 'chart.read', available: false },
  { label: 'Coding', path: '/coding', permission: 'coding.read', available: false },
  { label: 'Release of information', path: '/roi', permission: 'roi.read', available: false },
  { label: 'Retention', path: '/retention', permission: 'retention.read', available: false },
  { label: 'Audit', path: '/audit', permission: 'audit.read', available: true },
  { label: 'Admin', path: '/admin', permission: 'users.manage', available: true },
  { label: 'My account', path: '/account', available: true },
];

export const can = (me: Me, permission: string | undefined): boolean =>
  permission === undefined || me.permissions.includes(permission);

export const areasFor = (me: Me): Area[] => AREAS.filter((area) => can(me, area.permission));

/** True when `me` gets a working link to `area` (built, and every permission it needs held). */
export const isAvailable = (me: Me, area: Area): boolean =>
  area.available && (area.alsoNeeds === undefined || can(me, area.alsoNeeds));

/** The area an address belongs to: "/patients/123" belongs to "/patients". */
export function areaOf(path: string): Area | undefined {
  return (
    AREAS.find((area) => area.path === path) ??
    AREAS.find((area) => area.path !== '/' && path.startsWith(`${area.path}/`))
  );
}

/** Whether `me` can open patient charts (`#/patients/{id}`): Patients is a working link for them. */
export function canOpenCharts(me: Me): boolean {
  const patients = AREAS.find((area) => area.path === '/patients');
  return patients !== undefined && can(me, patients.permission) && isAvailable(me, patients);
}
