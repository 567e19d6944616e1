// Sets of time intervals [start, end) in ms: union, difference, total length. Kept sorted and disjoint.

export interface Interval {
  start: number;
  end: number;
}

/** Sorted, disjoint, non-empty intervals covering exactly what `list` covers. */
export function union(list: readonly Interval[]): Interval[] {
  const sorted = list.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ start: i.start, end: i.end });
  }
  return out;
}

/** What `a` covers and `b` does not. */
export function subtract(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const cut = union(b);
  const out: Interval[] = [];
  for (const i of union(a)) {
    let from = i.start;
    for (const c of cut) {
      if (c.end <= from) continue;
      if (c.start >= i.end) break;
      if (c.start > from) out.push({ start: from, end: c.start });
      from = Math.max(from, c.end);
      if (from >= i.end) break;
    }
    if (from < i.end) out.push({ start: from, end: i.end });
  }
  return out;
}

/** What both cover. */
export function intersect(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  return subtract(a, subtract(a, b));
}

export function total(list: readonly Interval[]): number {
  let s = 0;
  for (const i of union(list)) s += i.end - i.start;
  return s;
}

/** Time covered by more than one interval of `list` (overlapping segments), in ms. */
export function overlap(list: readonly Interval[]): number {
  let sum = 0;
  for (const i of list) sum += Math.max(0, i.end - i.start);
  return sum - total(list);
}
