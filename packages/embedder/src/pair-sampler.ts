import { createRandom } from '@cbmir/seeded-random';

/** An image the sampler may pair: its grade and, when known, the patient it belongs to. */
export interface PairItem {
  id: string;
  /** the grade; "same" pairs share it */
  label: number | string;
  /** images of one patient (both eyes, repeat visits) are never paired with each other */
  patientId?: string | null;
}

export interface Pair {
  a: string;
  b: string;
  /** true when a and b have the same grade (y = 1 in the contrastive loss) */
  same: boolean;
}

export interface PairSamplerOptions {
  /** default 1 */
  seed?: number;
  /** share of "same" pairs, 0..1; default 0.5 */
  positiveFraction?: number;
  /**
   * Draw grades uniformly rather than images (default true): with DR data dominated by grade 0, the
   * paper balanced classes; this does the same for pairs without copying images.
   */
  balanceLabels?: boolean;
}

export interface PairSampler {
  /** one pair; "same" with probability positiveFraction */
  next(): Pair;
  /** `size` pairs holding round(size * positiveFraction) same pairs (rounded at random when fractional), shuffled */
  batch(size: number): Pair[];
}

interface Group {
  label: number | string;
  items: Entry[];
  patients: Set<string>;
}

interface Entry {
  id: string;
  patient: string;
}

// Rejection sampling almost always succeeds at once; past this many tries we search exhaustively.
const MAX_TRIES = 32;

/**
 * Seeded sampler of training pairs for the Siamese network: "same" = same grade, "different" =
 * different grade, and never an image with itself or two images of the same patient (they would
 * teach the network to recognise the patient, not the disease). Throws up front when the items
 * cannot provide the pairs the options ask for.
 */
export function createPairSampler(items: readonly PairItem[], options: PairSamplerOptions = {}): PairSampler {
  const positiveFraction = options.positiveFraction ?? 0.5;
  if (!(positiveFraction >= 0 && positiveFraction <= 1)) {
    throw new Error(`positiveFraction must be in [0, 1], got ${positiveFraction}`);
  }
  const balanceLabels = options.balanceLabels ?? true;
  const random = createRandom(options.seed ?? 1);

  const groups = groupByLabel(items);
  const all = groups.flatMap((g) => g.items.map((entry) => ({ entry, group: g })));
  // A grade can give a "same" pair only with images of at least two patients.
  const positiveGroups = groups.filter((g) => g.patients.size >= 2);
  const positiveWeight = (g: Group) => (balanceLabels ? 1 : g.items.length);
  const negativePairs = groups.flatMap((g1) => groups.filter((g2) => g2 !== g1 && canPairAcross(g1, g2)).map((g2) => [g1, g2] as const));

  if (positiveFraction > 0 && positiveGroups.length === 0) {
    throw new Error(
      'Cannot sample "same" pairs: no grade has images of two different patients ' + `(${describeGroups(groups)}); set positiveFraction to 0 or add images`,
    );
  }
  if (positiveFraction < 1 && negativePairs.length === 0) {
    throw new Error(
      'Cannot sample "different" pairs: need two grades with images of different patients ' +
        `(${describeGroups(groups)}); set positiveFraction to 1 or add images`,
    );
  }

  function samePair(): Pair {
    let group: Group;
    if (balanceLabels) {
      group = random.pick(positiveGroups);
    } else {
      // An image-weighted draw of the grade, among grades that can give a pair.
      let r = random.next() * positiveGroups.reduce((n, g) => n + positiveWeight(g), 0);
      group = positiveGroups[positiveGroups.length - 1] as Group;
      for (const g of positiveGroups) {
        r -= positiveWeight(g);
        if (r < 0) {
          group = g;
          break;
        }
      }
    }
    const a = random.pick(group.items);
    const b = pickOtherPatient(group.items, a.patient);
    return { a: a.id, b: b.id, same: true };
  }

  function differentPair(): Pair {
    if (balanceLabels) {
      const [g1, g2] = random.pick(negativePairs);
      // Some images of g1 may share g2's only patient: skip those.
      const a = pickWhere(g1.items, (e) => hasOtherPatient(g2, e.patient));
      return { a: a.id, b: pickOtherPatient(g2.items, a.patient).id, same: false };
    }
    for (let tries = 0; ; tries++) {
      const first = random.pick(all);
      const second = random.pick(all);
      if (first.group !== second.group && first.entry.patient !== second.entry.patient) {
        return { a: first.entry.id, b: second.entry.id, same: false };
      }
      if (tries >= MAX_TRIES) {
        const [g1, g2] = random.pick(negativePairs);
        const a = pickWhere(g1.items, (e) => hasOtherPatient(g2, e.patient));
        return { a: a.id, b: pickOtherPatient(g2.items, a.patient).id, same: false };
      }
    }
  }

  function pickOtherPatient(entries: readonly Entry[], patient: string): Entry {
    return pickWhere(entries, (e) => e.patient !== patient);
  }

  function pickWhere(entries: readonly Entry[], accept: (e: Entry) => boolean): Entry {
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      const e = random.pick(entries);
      if (accept(e)) return e;
    }
    return random.pick(entries.filter(accept));
  }

  return {
    next: () => (random.next() < positiveFraction ? samePair() : differentPair()),
    batch(size) {
      if (!Number.isInteger(size) || size < 0) throw new Error(`batch size must be a non-negative integer, got ${size}`);
      const positives = Math.min(size, Math.floor(size * positiveFraction + random.next()));
      const pairs = Array.from({ length: size }, (_, i) => (i < positives ? samePair() : differentPair()));
      return random.shuffle(pairs);
    },
  };
}

function groupByLabel(items: readonly PairItem[]): Group[] {
  const groups = new Map<string, Group>();
  const ids = new Set<string>();
  for (const item of items) {
    if (ids.has(item.id)) throw new Error(`Duplicate image id "${item.id}" in the items to pair`);
    ids.add(item.id);
    // An image without a patient counts as its own patient.
    const patient = item.patientId != null && item.patientId !== '' ? `p:${item.patientId}` : `i:${item.id}`;
    const key = `${typeof item.label}:${String(item.label)}`;
    let group = groups.get(key);
    if (!group) {
      group = { label: item.label, items: [], patients: new Set() };
      groups.set(key, group);
    }
    group.items.push({ id: item.id, patient });
    group.patients.add(patient);
  }
  // Sorted so the grade order does not depend on which grade happens to come first in the input.
  return [...groups.values()].sort((x, y) => String(x.label).localeCompare(String(y.label), 'en', { numeric: true }));
}

/** Whether some image of g1 and some image of g2 belong to different patients. */
function canPairAcross(g1: Group, g2: Group): boolean {
  if (g1.patients.size > 1 || g2.patients.size > 1) return true;
  return [...g1.patients][0] !== [...g2.patients][0];
}

function hasOtherPatient(group: Group, patient: string): boolean {
  return group.patients.size > 1 || !group.patients.has(patient);
}

function describeGroups(groups: readonly Group[]): string {
  if (groups.length === 0) return 'no images';
  return groups.map((g) => `grade ${String(g.label)}: ${g.items.length} images, ${g.patients.size} patients`).join('; ');
}
