/** The replacement for every masked credential. */
export const MASK = "****";

/** `scheme://user:password@host`: the password is everything between the colon and the `@`. */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):([^\s@/]+)@/gi;

/**
 * `password=…`, `Password: …`, `"password": "…"` and the same for a few other credential keys. Values
 * that open an object or list are left alone, because they contain structure, not a credential.
 */
const KEY_VALUE =
  /(["']?\b(?:password|passwd|pwd|access_token|api_key|apikey|client_secret|token)["']?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s&;,"'{}[\]]+)/gi;

/** `Authorization: Bearer …` and `Basic …` credentials. */
const AUTHORIZATION = /\b(Bearer|Basic)(\s+)[A-Za-z0-9\-._~+/]+=*/g;

function maskValue(value: string): string {
  if (value.startsWith('"') || value.startsWith("'")) {
    const quote = value[0];
    return `${quote}${MASK}${quote}`;
  }
  return MASK;
}

/**
 * Mask credentials in captured text: passwords in URLs and connection strings, `password=` style
 * pairs, and bearer or basic credentials. The rest of the text is unchanged, so the output stays
 * readable as evidence.
 */
export function maskCredentials(text: string): string {
  // Every pattern needs a ":" or "=", or a Bearer or Basic scheme; most env values have none.
  if (!text.includes(":") && !text.includes("=") && !text.includes("Bearer") && !text.includes("Basic")) return text;
  return text
    .replace(URL_PASSWORD, (_match, prefix: string) => `${prefix}:${MASK}@`)
    .replace(KEY_VALUE, (_match, key: string, value: string) => `${key}${maskValue(value)}`)
    .replace(AUTHORIZATION, (_match, scheme: string, space: string) => `${scheme}${space}${MASK}`);
}
