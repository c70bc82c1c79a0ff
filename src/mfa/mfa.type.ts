import { Field, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A TOTP secret to add to an authenticator app; nothing changes until confirmTotpEnrollment.' })
export class TotpEnrollment {
  @Field(() => String, { description: 'Base32, for typing into the app by hand.' })
  secret!: string;

  @Field(() => String, { description: 'otpauth://totp/… with issuer and account, what the QR code holds.' })
  otpauthUri!: string;

  @Field(() => String, { description: 'The otpauth URI as a QR code, an SVG document.' })
  qrCodeSvg!: string;
}

@ObjectType({ description: 'Single-use recovery codes, shown this once: each one signs in once instead of a TOTP code.' })
export class RecoveryCodes {
  @Field(() => [String])
  codes!: string[];
}
