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
