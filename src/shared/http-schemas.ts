/** JSON Schema pieces both services' routes are built from. */

/**
 * Text Postgres can store: no NUL (a `text` value cannot hold one) and no
 * unpaired surrogate (not encodable as UTF-8). Ajv matches with the `u` flag,
 * so a surrogate pair (an emoji) is one character and passes.
 */
export function text(maxLength: number, minLength = 0) {
  return { type: 'string', minLength, maxLength, pattern: '^[^\\u0000\\uD800-\\uDFFF]*$' } as const;
}

/** A timestamp: see instant.ts (registered as the `instant` format in http-server.ts). */
export const instant = { type: 'string', format: 'instant' } as const;

/** The standard error body, `{ error: { code, message } }` (http-errors.ts), for response schemas. */
export const errorResponse = {
  type: 'object',
  required: ['error'],
  additionalProperties: false,
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      additionalProperties: false,
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;
