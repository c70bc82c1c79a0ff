// A User-Agent header made readable for the sessions list ("Chrome 120 on macOS 10.15.7").
// ua-parser-js 1.x (MIT; 2.x is AGPL) does the parsing. Sessions store the parsed short form only
// (storedUserAgent): browser, OS and device, or the start of a header the parser does not recognise.
import UAParser from 'ua-parser-js';

export interface ParsedUserAgent {
  /** The header as sent for sessions written before layout v2; since then, the description (the header is not kept). */
  raw: string;
  browser: string | null;
  os: string | null;
  device: string | null;
  /** Browser and OS in one phrase, or the raw header when neither is recognised ("" when none was sent). */
  description: string;
}

/** Separates browser, OS and device in the stored form; never part of a header (a control character). */
const SEPARATOR = '\u001f';
/** The longest stored form: with an IPv4 address it fits one 64-byte Redis value (session-layout.ts); longer values only cost the user's hash its compact encoding. */
export const MAX_STORED_USER_AGENT_LENGTH = 48;

/** Headers already reduced (every refresh stores one, and clients send the same few): parsing costs more than a lookup. */
const recent = new Map<string, string>();
const RECENT_LIMIT = 1_000;
/** Longer headers are reduced every time rather than kept as keys: the memo stays under about 0.5 MB. */
const RECENT_HEADER_LIMIT = 512;

/** What a session keeps of a User-Agent header: about 20-40 characters instead of about 110. */
export function storedUserAgent(header: string): string {
  if (header.length > RECENT_HEADER_LIMIT) return reduce(header);
  let stored = recent.get(header);
  if (stored === undefined) {
    stored = reduce(header);
    if (recent.size >= RECENT_LIMIT) recent.clear();
    recent.set(header, stored);
  }
  return stored;
}

function reduce(header: string): string {
  if (header.includes(SEPARATOR)) return header.slice(0, MAX_STORED_USER_AGENT_LENGTH); // already stored form
  const { browser, os, device } = parseHeader(header);
  if (!browser && !os) return header.slice(0, MAX_STORED_USER_AGENT_LENGTH);
  return [browser, os, device].map((part) => (part ?? '').replaceAll(SEPARATOR, '')).join(SEPARATOR).slice(0, MAX_STORED_USER_AGENT_LENGTH);
}

/** A stored user agent (short form, or the whole header of an older session) made readable. */
export function parseUserAgent(stored: string): ParsedUserAgent {
  if (stored.includes(SEPARATOR)) {
    const [browser = null, os = null, device = null] = stored.split(SEPARATOR).map((part) => (part === '' ? null : part));
    const description = describe(browser, os, stored);
    return { raw: description, browser, os, device, description };
  }
  const { browser, os, device } = parseHeader(stored);
  return { raw: stored, browser, os, device, description: describe(browser, os, stored) };
}

function parseHeader(header: string): { browser: string | null; os: string | null; device: string | null } {
  const result = new UAParser(header).getResult();
  return {
    browser: joined(result.browser.name, result.browser.major),
    os: joined(result.os.name, result.os.version),
    device: joined(result.device.vendor, result.device.model),
  };
}

function describe(browser: string | null, os: string | null, fallback: string): string {
  return browser && os ? `${browser} on ${os}` : (browser ?? os ?? fallback);
}

function joined(...parts: (string | undefined)[]): string | null {
  const text = parts.filter(Boolean).join(' ');
  return text === '' ? null : text;
}
