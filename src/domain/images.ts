import { protectedProperty } from './errors.js';

/**
 * Whether a project may see and boot an image: 'public' and 'community' ones are everyone's,
 * 'private' and 'shared' ones their owner's only (Stratus has no image members). `projectId`
 * undefined means an admin, who sees every image.
 */
export function imageVisibleTo(
  image: { visibility: string; owner: string | null },
  projectId: string | undefined,
): boolean {
  return (
    projectId === undefined ||
    image.visibility === 'public' ||
    image.visibility === 'community' ||
    image.owner === projectId
  );
}

/**
 * The image property naming the program a process-driver guest runs on its compute node. It is
 * a command line run by the agent, so only admins may set or change it (a Stratus rule: Glance
 * has no such property; its closest kin are the admin-only protected properties).
 */
export const GUEST_COMMAND_PROPERTY = 'stratus_command';

/** 403 unless an admin sets it: `properties` are the ones a request would write. */
export function refuseGuestCommand(properties: Record<string, unknown>, isAdmin: boolean): void {
  if (!isAdmin && Object.hasOwn(properties, GUEST_COMMAND_PROPERTY)) throw protectedProperty(GUEST_COMMAND_PROPERTY);
}
