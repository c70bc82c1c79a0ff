// What every successful sign-in answers (login, register, refresh, verifyMfa, loginWithPasskey,
// signInWithIdToken): the cookies of §6 set, the user as the viewer of this response, and the AuthPayload.
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
