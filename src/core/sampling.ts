// Audit sampling must pick the same items on every server process and on every retry, so the
// "random" draw is a hash of a seed and the item's key rather than Math.random.

/** cyrb53: a fast 53-bit string hash with good avalanche; enough for sampling, not for security. */
function cyrb53(input: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < input.length; i++) {
    const ch = input.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** A number in [0, 1) that depends only on `seed` and `key`. */
export function uniformFromKey(seed: string, key: string): number {
  // The NUL separator keeps ("ab", "c") and ("a", "bc") apart.
  return cyrb53(`${seed}\u0000${key}`) / 2 ** 53;
}
