/**
 * One value per process, whichever copy of a module asks: a runner can load
 * this helper twice (under tsx, mocha's `require` and a test's `import` get
 * separate module instances), and state such as the trace's space listener
 * must be the same for both.
 */
export function processWide<T extends object>(key: string, init: () => T): T {
  const global = globalThis as Record<symbol, unknown>;
  const symbol = Symbol.for(`pgspace.${key}`);
  return (global[symbol] ??= init()) as T;
}
