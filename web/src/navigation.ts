// The areas of the application and the permission each needs (docs/API.md, "Permissions and
// roles"). Areas whose screens are not built yet are listed as unavailable: they show in the
// navigation of the roles that will use them, without a link.
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
}

export const AREAS: readonly Area[] = [
  { label: 'Dashboard', path: '/', available: true },
  { label: 'Patients', path: '/patients', permission: 'patients.read', available: true, alsoNeeds: 'clinical.read' },
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
