/**
 * Reading a change log in sequence order when sequence order is not commit order (PostgreSQL:
 * a transaction that took seq 5 may commit after the one that took seq 6). The reader delivers
 * rows in seq order and holds at a gap (a seq it has not seen), since the row may still commit.
 * A gap is permanent (a rolled-back transaction, or pruned rows) once every transaction that was
 * running when the gap was first seen has ended: the first sighting records the snapshot's xmax
 * (no transaction at or above it had started), and the gap is skipped once the snapshot's xmin
 * (every transaction below it has ended) reaches that mark. Transaction ids are cluster-wide, so a
 * long transaction in another database of the cluster (or one left idle in transaction) would
 * hold a gap for as long as it lives: a hold also ends after `maxHoldMs`, far longer than any
 * of Stratus' own transactions takes to commit.
 */

/** txid_current_snapshot()'s bounds; null where one writer commits in seq order (SQLite). */
export type TxSnapshot = { xmin: bigint; xmax: bigint } | null;

/** A gap being waited on: the seqs up to `upTo` were all taken before `mark`; first seen at `since` (ms). */
export interface GapHold {
  upTo: number;
  mark: bigint;
  since: number;
}

/** How long a gap may hold the feed when the snapshot cannot prove it permanent. */
export const MAX_GAP_HOLD_MS = 5000;

export interface FeedStep {
  /** How many of the given seqs may be delivered now (a prefix). */
  take: number;
  /** The new watermark: every seq at or below it is delivered or known never to come. */
  watermark: number;
  hold: GapHold | null;
}

/** Whether `seqs` (ascending, all > watermark) leave a gap after `watermark`: a snapshot is needed. */
export function hasGap(watermark: number, seqs: readonly number[]): boolean {
  let w = watermark;
  for (const s of seqs) {
    if (s !== w + 1) return true;
    w = s;
  }
  return false;
}

export function advanceFeed(
  watermark: number,
  seqs: readonly number[],
  hold: GapHold | null,
  snap: TxSnapshot,
  now = 0,
  maxHoldMs = MAX_GAP_HOLD_MS,
): FeedStep {
  let w = watermark;
  const h = hold;
  let take = 0;
  for (const s of seqs) {
    if (s <= w) {
      take++;
      continue;
    }
    if (s !== w + 1 && snap !== null) {
      // The hold's mark covers this gap if it was already seen (all its seqs were taken back then).
      const seen = h !== null && w + 1 <= h.upTo;
      const mark = seen ? h.mark : snap.xmax;
      const upTo = seen ? h.upTo : s - 1;
      const since = seen ? h.since : now;
      if (snap.xmin < mark && now - since < maxHoldMs) return { take, watermark: w, hold: { upTo, mark, since } };
    }
    w = s;
    take++;
  }
  return { take, watermark: w, hold: h && w < h.upTo ? h : null };
}
