/** Keeping a trace small and free of secrets: long values cut, passwords and credentials masked. */

/** Longest SQL parameter kept whole. */
export const PARAM_CHARS = 200;
/** Longest HTTP body kept whole. */
export const BODY_CHARS = 4_096;

const HIDDEN = '***';
/** Headers whose values are credentials. */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

/** `text` cut to `max` characters, saying how much was left out. */
export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** A value (SQL parameter, body) as text: strings as they are, buffers as text, the rest as JSON. */
export function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** `url` with the password of any `user:password@` in it replaced by ***. */
export function maskUrl(url: string): string {
  return url.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)[^@\s/]*@/gi, `$1${HIDDEN}@`);
}

/** `value` of header `name`, masked if it is a credential. */
export function maskHeader(name: string, value: string): string {
  return SECRET_HEADERS.has(name.toLowerCase()) ? HIDDEN : maskUrl(value);
}

/** Headers as `name: value` lines, credentials masked. Accepts undici's flat [name, value, …] arrays and header objects. */
export function headerLines(headers: unknown): string {
  const pairs: [string, string][] = [];
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) pairs.push([asText(headers[i]), asText(headers[i + 1])]);
  } else if (headers && typeof headers === 'object') {
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) pairs.push([name, Array.isArray(value) ? value.join(', ') : String(value)]);
  }
  return pairs.map(([name, value]) => `${name}: ${maskHeader(name, value)}`).join('\n');
}
