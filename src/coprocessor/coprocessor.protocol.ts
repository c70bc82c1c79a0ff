// Apollo Router's external coprocessing protocol, version 1, as documented in
// https://www.apollographql.com/docs/graphos/routing/customization/coprocessor/reference
// ("Example requests by stage" → RouterRequest; "Terminating a client request").
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;
export const ROUTER_REQUEST = 'RouterRequest';
/** The context key Apollo Router's @authenticated and @requiresScopes read their claims from. */
export const JWT_CLAIMS_KEY = 'apollo::authentication::jwt_claims';

/** Header values arrive as arrays of strings ({ "cookie": ["a=b"] }). */
const headers = z.record(z.string(), z.array(z.string()));

/** A coprocessor request at any stage; unknown data properties are kept and ignored. */
export const coprocessorRequest = z.looseObject({
  version: z.number(),
  stage: z.string(),
  control: z.unknown(),
  /** Absent at some stages (the documented SupergraphRequest example has none); required at RouterRequest. */
  id: z.string().min(1).optional(),
  headers: headers.optional(),
  context: z.looseObject({ entries: z.record(z.string(), z.unknown()) }).optional(),
  body: z.unknown().optional(),
});
export type CoprocessorRequest = z.infer<typeof coprocessorRequest>;

export interface VerifiedClaims {
  /** The user's id, or client:<id> for a machine client. */
  sub: string;
  /** The user's session; machine clients have none. */
  sid?: string;
  scope?: string;
}

/** The request echoed back with control "continue": the router keeps what we leave out. */
export function continueWith(request: CoprocessorRequest, changes: { headers?: Record<string, string[]>; entries: Record<string, unknown> }) {
  return {
    version: request.version,
    stage: request.stage,
    control: 'continue' as const,
    id: request.id,
    ...(changes.headers ? { headers: changes.headers } : {}),
    context: { ...request.context, entries: changes.entries },
  };
}

/** Ends the client request: the router answers `status` with `body` (a JSON string at the Router stages). */
export function breakWith(request: CoprocessorRequest, status: number, error: { message: string; code: string }) {
  return {
    version: request.version,
    stage: request.stage,
    control: { break: status },
    id: request.id,
    body: JSON.stringify({ errors: [{ message: error.message, extensions: { code: error.code } }] }),
  };
}
