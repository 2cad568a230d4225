/**
 * What a session tells whoever listens about the spaces it hands to tests:
 * the trace (trace/plugin.ts) is such a listener, and the session knows
 * nothing of it. One listener at a time; none by default.
 */
import { processWide } from '../common/process-wide.js';

/** A space as a listener sees it. */
export interface SpaceSeen {
  name: string;
  database: string;
  /** A fresh clone, or recycled after which tests (session.ts, lineage). */
  origin: string;
}

/** The events; each is optional for a listener. */
export interface SpaceListener {
  /** A test asks for a space; what it returns is called when the test has one. */
  acquiring?(): ((space: SpaceSeen) => void) | undefined;
  /** A test is done with the space of `database`: given back, or kept under a new name. */
  released?(database: string, kept?: { name: string; psql: string }): void;
}

// Process-wide: the trace plug-in and the session may be different copies of this module.
const state = processWide('spaceListener', () => ({ listener: {} as SpaceListener }));

/** Makes `next` the listener (replacing any other). */
export function listenToSpaces(next: SpaceListener): void {
  state.listener = next;
}

/** Tells the listener a test asks for a space; call the result with the space once it has one. */
export function acquiring(): (space: SpaceSeen) => void {
  const acquired = state.listener.acquiring?.();
  return (space) => acquired?.(space);
}

/** Tells the listener a test is done with the space of `database`. */
export function released(database: string, kept?: { name: string; psql: string }): void {
  state.listener.released?.(database, kept);
}
