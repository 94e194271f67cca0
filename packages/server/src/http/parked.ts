/** True when a binding (a function type, or a namespace `ns/*`) covers a function type. */
export function covers(binding: string, type: string): boolean {
  if (!binding.endsWith("/*")) return binding === type;
  const prefix = binding.slice(0, -1);
  return type.startsWith(prefix) && !type.slice(prefix.length).includes("/");
}

/** Parked messages of the types a binding covers (`parked`: counts by function type). */
export function parkedUnder(parked: ReadonlyMap<string, number>, binding: string): number {
  let n = 0;
  for (const [type, count] of parked) if (covers(binding, type)) n += count;
  return n;
}
