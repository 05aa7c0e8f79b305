/**
 * The rack's components and the order they are restored in.
 *
 * The order is a dependency order: identity needs the deployment inputs, the resource manager
 * (arm) needs identity and the CA, the resource providers need arm's subscriptions, and RBAC
 * refers to identities and arm scopes, so it comes last.
 */
import { COMPONENT_IDS } from '../../shared/rack-api.js';
import { RecoveryErrors } from './errors.js';

/** The rack API's component list, which is already in restore order. */
export const RESTORE_ORDER = COMPONENT_IDS;

export type ComponentId = (typeof RESTORE_ORDER)[number];

/** What recovery deliberately leaves alone; the report, the kit and every screen say so. */
export { NOT_RESTORED } from '../../shared/contract/index.js';

export function isComponentId(value: string): value is ComponentId {
  return (RESTORE_ORDER as readonly string[]).includes(value);
}

export function parseComponentId(value: string): ComponentId {
  if (!isComponentId(value)) {
    throw RecoveryErrors.create(
      'RECOVERY_UNKNOWN_COMPONENT',
      `"${value}" is not a rack component.`,
    );
  }
  return value;
}

/** Sorts component ids into restore order, dropping duplicates. */
export function inRestoreOrder(components: Iterable<ComponentId>): ComponentId[] {
  const wanted = new Set(components);
  return RESTORE_ORDER.filter((component) => wanted.has(component));
}
