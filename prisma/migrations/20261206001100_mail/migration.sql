-- Mail and account recovery (issue 11, SPEC §10).

-- Whether the user proved they read mail at their address. The OIDC branch adds the identical line.
ALTER TABLE "users" ADD COLUMN IF NOT EXISTS "email_verified" BOOLEAN NOT NULL DEFAULT false;

-- One-time tokens for links in mails: only the SHA-256 of the token is kept. One live token per user
-- and purpose: issuing a newer one replaces the row, which voids the older token.
CREATE TABLE "one_time_tokens" (
    "token_hash" VARCHAR(64) NOT NULL,
    "user_id" UUID NOT NULL,
    "purpose" VARCHAR(32) NOT NULL,
    "email" VARCHAR(254) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "one_time_tokens_pkey" PRIMARY KEY ("token_hash"),
    CONSTRAINT "one_time_tokens_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE UNIQUE INDEX "one_time_tokens_user_id_purpose_key" ON "one_time_tokens"("user_id", "purpose");
