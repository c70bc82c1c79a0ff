// Headers some gateways use to pass an identity downstream. A client can send any of them, so this
// service never reads them, and the coprocessor strips them before the router forwards a request.
const IDENTITY_HEADER =
  /^(?:x-(?:user|auth|authenticated|portcullis|remote-user|forwarded-user|forwarded-email|forwarded-groups|client-id|jwt|claims?)(?:[-_].*)?|x-(?:roles?|scopes?|sub|sid|email|groups)|remote-user)$/i;

export function isIdentityHeader(name: string): boolean {
  return IDENTITY_HEADER.test(name);
}
