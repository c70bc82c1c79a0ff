import type { Context } from '../context';
import type { Actor } from './audit-event';

/** The caller of a request, as the audit log records it. */
export function actorOf(ctx: Context): Actor {
  return { userId: ctx.viewer?.userId ?? null, clientId: null, ...ctx.client };
}
