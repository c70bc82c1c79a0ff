// A stored User-Agent header made readable for the sessions list ("Chrome 120 on macOS 10.15.7").
// ua-parser-js 1.x (MIT; 2.x is AGPL) does the parsing.
import UAParser from 'ua-parser-js';

export interface ParsedUserAgent {
  raw: string;
  browser: string | null;
  os: string | null;
  device: string | null;
  /** Browser and OS in one phrase, or the raw header when neither is recognised ("" when none was sent). */
  description: string;
}

export function parseUserAgent(raw: string): ParsedUserAgent {
  const result = new UAParser(raw).getResult();
  const browser = joined(result.browser.name, result.browser.major);
  const os = joined(result.os.name, result.os.version);
  const device = joined(result.device.vendor, result.device.model);
  const description = browser && os ? `${browser} on ${os}` : (browser ?? os ?? raw);
  return { raw, browser, os, device, description };
}

function joined(...parts: (string | undefined)[]): string | null {
  const text = parts.filter(Boolean).join(' ');
  return text === '' ? null : text;
}
