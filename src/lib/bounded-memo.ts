/**
 * A pure function's results by key, for values a server sees again and again (the credential scope and signed
 * header list of a client's requests, the dates in responses): at most `max` kept, all dropped when full, since
 * the working set refills it at once.
 * @module
 */

/**
 * Wraps `compute` with a bounded memo. `compute` must be pure: same key, same (treated as read-only) result.
 * @example
 * const timestamp = boundedMemo(256, (ms: number) => new Date(ms).toISOString());
 */
export function boundedMemo<K extends string | number, V>(max: number, compute: (key: K) => V): (key: K) => V {
  const known = new Map<K, V>();
  return (key: K): V => {
    let value = known.get(key);
    if (value === undefined && !known.has(key)) {
      value = compute(key);
      if (known.size >= max) known.clear();
      known.set(key, value);
    }
    return value as V;
  };
}
