/** Session shapes shared by the benchmarks. */

/** A realistic ~1 KiB session: a user, a cart, some preferences, a counter. */
export function oneKiBSession(i: number): Record<string, unknown> {
  return {
    userId: `user-${i}`,
    roles: ['customer', 'newsletter'],
    counter: 0,
    locale: 'en-GB',
    csrf: 'c'.repeat(43),
    cart: Array.from({ length: 8 }, (_, k) => ({ sku: `SKU-${100000 + k}`, qty: (k % 3) + 1, price: 1999 + k, title: `Item number ${k} of the cart` })),
    prefs: { theme: 'dark', currency: 'EUR', marketing: false, lastSearch: 'running shoes size 43' },
    lastSeen: new Date(1_700_000_000_000 + i).toISOString(),
  };
}
