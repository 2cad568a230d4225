/**
 * Keeping a trace small and free of secrets. Every string that goes on the
 * page passes through shown(): masked, then cut. Masked by value: every
 * password pgspace made in this process and the admin's; and by pattern: URL
 * credentials, `PASSWORD '…'`, fields, parameters and headers whose name says
 * password, secret, token or api key, and Authorization schemes.
 */
import { passwordsMade } from '../common/credentials.js';
import { textOf } from '../common/errors.js';
import { configuredServer } from '../server/server.js';

/** Longest item (a statement, a log line, a header block, a body, an error) kept whole. */
export const ITEM_CHARS = 4_096;
/** Longest SQL parameter kept whole. */
export const PARAM_CHARS = 200;
/** Read past the cut before masking, so a secret the cut goes through is still recognised whole. */
const MARGIN = 1_024;

const HIDDEN = '***';
/** A name (of a field, parameter, header, variable) whose value is a secret. */
const SECRET_NAME = String.raw`[\w-]*(?:password|passwd|secret|token|api[-_]?key)[\w-]*`;
/** Headers whose whole value is a credential. */
const SECRET_HEADER = new RegExp(`^(?:authorization|proxy-authorization|cookie|set-cookie|${SECRET_NAME})$`, 'i');

const PATTERNS: [RegExp, string][] = [
  // scheme://user:password@host
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)[^@\s/]*@/gi, `$1${HIDDEN}@`],
  // CREATE ROLE … PASSWORD '…', ALTER USER … ENCRYPTED PASSWORD '…'
  [/(\bPASSWORD\s+)E?'(?:[^']|'')*'/gi, `$1'${HIDDEN}'`],
  // "password": "…" (JSON)
  [new RegExp(String.raw`("${SECRET_NAME}"\s*:\s*)(?:"(?:[^"\\]|\\.)*"|[^\s,}\]]+)`, 'gi'), `$1"${HIDDEN}"`],
  // password=… (query strings, forms, dotenv, libpq), token: … (logs, header lines); not a SQL cast (::),
  // nor what is masked already (a URL's user:***@ whose user name says token)
  [new RegExp(String.raw`(\b${SECRET_NAME}\s*(?:=|:(?!:))\s*)(?!\*\*\*)(?:"[^"]*"|'[^']*'|[^\s&,;'"]+)`, 'gi'), `$1${HIDDEN}`],
  // Authorization: Bearer …
  [/\b(Bearer|Basic|Digest)\s+[\w.~+/=-]+/g, `$1 ${HIDDEN}`],
];

let adminFor: string | undefined;
let adminSecrets: string[] = [];

/**
 * The admin's password (and its URL encoding), to mask by value. One shorter
 * than 8 characters, or equal to the admin's user or database name
 * (`postgres:postgres`), would mask ordinary words: patterns still find it in URLs.
 */
function adminPasswords(): string[] {
  const key = `${process.env.PGSPACE_ADMIN_URL}\0${process.env.PGHOST}\0${process.env.PGPASSWORD}`;
  if (key !== adminFor) {
    adminFor = key;
    let server;
    try {
      server = configuredServer();
    } catch {
      server = undefined; // a malformed URL: the run says so itself
    }
    const password = server?.password ?? '';
    const plain = password.length < 8 || password === server?.user || password === server?.database;
    adminSecrets = plain ? [] : [...new Set([password, encodeURIComponent(password)])];
  }
  return adminSecrets;
}

/** `text` with every secret it holds replaced by ***. */
export function mask(text: string): string {
  const made = passwordsMade();
  let out = made.size > 0 ? text.replace(/[0-9a-f]{32}/g, (hex) => (made.has(hex) ? HIDDEN : hex)) : text;
  for (const secret of adminPasswords()) out = out.split(secret).join(HIDDEN);
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

function size(chars: number): string {
  return chars >= 1024 ? `${chars / 1024} KB` : `${chars} characters`;
}

/** `text` as the page may show it: masked, and cut to `max` characters, saying so. */
export function shown(text: string, max = ITEM_CHARS): string {
  const head = text.length > max + MARGIN ? text.slice(0, max + MARGIN) : text;
  const masked = mask(head);
  if (head === text && masked.length <= max) return masked;
  return `${masked.slice(0, max)}… [cut at ${size(max)}]`;
}

/** A value (SQL parameter, body) as text: strings as they are, buffers as text, the rest as JSON. */
export function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? textOf(value);
  } catch {
    return textOf(value);
  }
}

/** Headers as `name: value` lines, a credential header's whole value masked. Accepts undici's flat [name, value, …] arrays and header objects. */
export function headerLines(headers: unknown): string {
  const pairs: [string, string][] = [];
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) pairs.push([asText(headers[i]), asText(headers[i + 1])]);
  } else if (headers && typeof headers === 'object') {
    for (const [name, value] of Object.entries(headers))
      if (value !== undefined) pairs.push([name, Array.isArray(value) ? value.join(', ') : String(value)]);
  }
  return pairs.map(([name, value]) => `${name}: ${SECRET_HEADER.test(name) ? HIDDEN : value}`).join('\n');
}
