import { randomBytes } from 'node:crypto';

/** Every space's role and database name starts with this. */
export const SPACE_PREFIX = 'pgs_';
/** Template databases: `pgstpl_<hash>`, never a space. */
export const TEMPLATE_PREFIX = 'pgstpl_';
/** The NOLOGIN role that owns every object inside templates and therefore inside spaces. */
export const OWNER_ROLE = 'pgspace_owner';

/** A LIKE pattern for names starting with `prefix` (its `_` taken literally, not as a wildcard). */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/_/g, '\\_')}%`;
}

/** Postgres truncates identifiers longer than NAMEDATALEN-1 bytes. */
export const MAX_IDENTIFIER_BYTES = 63;
const SUFFIX_LENGTH = 10; // 50 random bits: collisions are not a practical concern
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** A crypto-random lowercase suffix, safe inside an identifier. */
export function randomSuffix(length = SUFFIX_LENGTH): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += BASE32[byte & 31];
  return out;
}

/**
 * Turns any test title into `[a-z0-9_]` of at most `maxBytes` characters:
 * accents are folded, everything else (quotes, SQL, emoji) becomes `_`.
 */
export function slug(title: string, maxBytes: number): string {
  const folded = title
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
  const words = folded.replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return words.slice(0, maxBytes).replace(/_+$/, '');
}

/** A fresh, neutral space name: `pgs_<suffix>`. Used while the space is alive. */
export function newSpaceName(): string {
  return SPACE_PREFIX + randomSuffix();
}

/** The random suffix of a space name (the part after the last `_`). */
export function suffixOf(name: string): string {
  return name.slice(name.lastIndexOf('_') + 1);
}

/**
 * The readable name a space gets when it is kept for a failing test:
 * `pgs_<slug of the title>_<same suffix>`, within Postgres' 63-byte limit.
 */
export function readableName(name: string, title: string): string {
  const suffix = suffixOf(name);
  const room = MAX_IDENTIFIER_BYTES - SPACE_PREFIX.length - suffix.length - 1;
  const words = slug(title, room);
  return words ? `${SPACE_PREFIX}${words}_${suffix}` : name;
}
