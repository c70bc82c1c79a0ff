import type { Role } from '../users/user';

/** Who is making the request, as established by the context builder from a verified token and a live session. */
export interface Viewer {
  userId: string;
  sessionId: string;
  role: Role;
  scopes: string[];
}
