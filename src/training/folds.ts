import { mulberry32, shuffleInPlace } from '../corpus/random.js';
import type { LabelledDoc } from '../corpus/types.js';
import { InvalidInputError } from '../errors.js';

/** How the documents were split into folds, as the output says it. */
export type FoldGrouping =
  /** aclImdb file names: contiguous ranges of the id before `_`, a movie's reviews being neighbours. */
  | 'id-ranges'
  /** A CSV's group column: each group whole in one fold. */
  | 'group-column'
  /** Neither: documents dealt at random, so reviews of one movie may sit on both sides. */
  | 'random';

export interface Folds {
  k: number;
  grouping: FoldGrouping;
  /** Per document (same order as given): its fold, 0..k-1. */
  fold: Int32Array;
}

/** `pos/123_8.txt` -> 123: the review id of an aclImdb file name, or null for other keys. */
export function aclImdbId(key: string): number | null {
  const match = /(?:^|\/)(\d+)_\d+\.txt$/.exec(key);
  return match === null ? null : Number(match[1]);
}

/**
 * Splits documents into k folds grouped by what they are about, so that no movie has reviews on
 * both sides of a split (a random split lets a recipe that memorises a movie's names and phrases
 * look better than it is on reviews of other movies).
 *
 * - aclImdb folders: in aclImdb the reviews of one movie have neighbouring ids, so fold f takes
 *   the f-th of k contiguous ranges of the distinct ids (pos and neg ids alike). Fixed by the
 *   data: the seed does not move it.
 * - documents with a `group` (a CSV's group column): groups are shuffled with the seed and dealt
 *   to the fold with the fewest documents so far, biggest groups first.
 * - otherwise random folds (shuffled with the seed, dealt round-robin), which `grouping` says.
 */
export function assignFolds(docs: readonly Pick<LabelledDoc, 'key' | 'group'>[], k: number, seed: number): Folds {
  if (!Number.isInteger(k) || k < 2) throw new InvalidInputError(`cross-validation needs k >= 2 folds, got ${k}.`);
  const ids = docs.map((doc) => aclImdbId(doc.key));
  if (docs.length > 0 && ids.every((id) => id !== null)) return idRangeFolds(ids, k);
  if (docs.length > 0 && docs.every((doc) => doc.group !== undefined && doc.group !== '')) {
    return groupFolds(
      docs.map((doc) => doc.group as string),
      k,
      seed,
    );
  }
  const fold = new Int32Array(docs.length);
  const order = shuffleInPlace(
    Array.from(docs, (_, i) => i),
    mulberry32(seed),
  );
  order.forEach((i, position) => (fold[i] = position % k));
  return checked({ k, grouping: 'random', fold });
}

function idRangeFolds(ids: readonly number[], k: number): Folds {
  const distinct = [...new Set(ids)].sort((a, b) => a - b);
  const rank = new Map(distinct.map((id, r) => [id, r]));
  const fold = Int32Array.from(ids, (id) => Math.floor(((rank.get(id) as number) * k) / distinct.length));
  return checked({ k, grouping: 'id-ranges', fold });
}

function groupFolds(groups: readonly string[], k: number, seed: number): Folds {
  const members = new Map<string, number[]>();
  groups.forEach((group, i) => {
    const list = members.get(group);
    if (list === undefined) members.set(group, [i]);
    else list.push(i);
  });
  // Shuffled, then a stable sort by size: ties between equal-sized groups fall by the seed.
  const ordered = shuffleInPlace([...members.values()], mulberry32(seed)).sort((a, b) => b.length - a.length);
  const sizes = new Array<number>(k).fill(0);
  const fold = new Int32Array(groups.length);
  for (const list of ordered) {
    let smallest = 0;
    for (let f = 1; f < k; f++) if (sizes[f] < sizes[smallest]) smallest = f;
    for (const i of list) fold[i] = smallest;
    sizes[smallest] += list.length;
  }
  return checked({ k, grouping: 'group-column', fold });
}

/** Every fold must hold documents, or its accuracy means nothing. */
function checked(folds: Folds): Folds {
  const sizes = new Array<number>(folds.k).fill(0);
  for (const f of folds.fold) sizes[f]++;
  const empty = sizes.findIndex((size) => size === 0);
  if (empty >= 0) {
    throw new InvalidInputError(
      `fold ${empty + 1} of ${folds.k} is empty (${folds.fold.length} documents${folds.grouping === 'group-column' ? ` in fewer than ${folds.k} groups` : ''}); use fewer folds (--cv) or a bigger corpus.`,
    );
  }
  return folds;
}
