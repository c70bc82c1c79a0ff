// What every sign-in answers (register, login, refresh, signInWithIdToken): the §6 cookies set, the
// user made the viewer of the payload, and the tokens in the body.
import type { Context } from '../context';
import type { AuthPayload } from './auth-payload.type';
import type { AuthResult } from './auth.service';

export function issueAuthPayload(result: AuthResult, ctx: Context, refreshTokenInBody: boolean): AuthPayload {
  ctx.cookies.set(result);
  ctx.signedInUserId = result.user.id;
  return {
    user: result.user,
    accessToken: result.accessToken.token,
    refreshToken: refreshTokenInBody ? result.refreshToken.token : null,
    tokenType: 'Bearer',
    expiresIn: result.expiresIn,
  };
}
