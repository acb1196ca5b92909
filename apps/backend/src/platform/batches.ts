// Large deletes in batches: short statements holding row locks briefly, instead of one long one (pruning jobs).

/** Calls `remove(batch)` until it removes fewer than `batch` rows; the total removed. */
export async function removeInBatches(remove: (batch: number) => Promise<number>, batch = 5_000): Promise<number> {
  let total = 0;
  let n: number;
  do {
    n = await remove(batch);
    total += n;
  } while (n === batch);
  return total;
}
