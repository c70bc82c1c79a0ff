// The frame every mail shares: one place to restyle. Text and HTML say the same things.

export interface MailBody {
  subject: string;
  /** Paragraphs of plain text (escaped for HTML here). */
  paragraphs: string[];
  /** The call to action, if the mail has a link. */
  action?: { label: string; link: string };
  /** "If this wasn't you" and the like, after the action. */
  footer: string[];
}

export function layout(body: MailBody): { subject: string; text: string; html: string; link: string | undefined } {
  const text = [
    ...body.paragraphs,
    ...(body.action ? [`${body.action.label}:\n${body.action.link}`] : []),
    ...body.footer,
    '— Portcullis',
  ].join('\n\n');
  const paragraph = (line: string) => `<p style="margin:0 0 16px">${escapeHtml(line)}</p>`;
  const button = body.action
    ? `<p style="margin:24px 0"><a href="${escapeHtml(body.action.link)}" style="background:#1f6feb;color:#fff;padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block">${escapeHtml(body.action.label)}</a></p>` +
      `<p style="margin:0 0 16px;font-size:13px;color:#555">Or paste this link into your browser:<br><span style="word-break:break-all">${escapeHtml(body.action.link)}</span></p>`
    : '';
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(body.subject)}</title></head>
<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.5;color:#222;max-width:560px;margin:0 auto;padding:24px">
${body.paragraphs.map(paragraph).join('\n')}
${button}
${body.footer.map((line) => `<p style="margin:0 0 16px;font-size:13px;color:#555">${escapeHtml(line)}</p>`).join('\n')}
<p style="margin:24px 0 0;font-size:13px;color:#555">— Portcullis</p>
</body></html>`;
  return { subject: body.subject, text, html, link: body.action?.link };
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** "30 minutes", "24 hours", "2 days": how long a link lives, as a person reads it. */
export function humanDuration(seconds: number): string {
  const units: Array<[number, string]> = [[86_400, 'day'], [3_600, 'hour'], [60, 'minute'], [1, 'second']];
  // "24 hours" reads better than "1 day"; days from two on.
  const [size, name] = units.find(([unit]) => seconds >= (unit === 86_400 ? 2 * unit : unit) && seconds % unit === 0) ?? [1, 'second'];
  const count = Math.round(seconds / size);
  return `${count} ${name}${count === 1 ? '' : 's'}`;
}
