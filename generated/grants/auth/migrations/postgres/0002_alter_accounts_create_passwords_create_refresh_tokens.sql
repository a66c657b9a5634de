-- Migration 2 of the `auth` service, written by svcgen for postgres. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

DROP INDEX IF EXISTS "accounts_password_key";
DROP INDEX IF EXISTS "accounts_password_idx";
ALTER TABLE "accounts" DROP COLUMN "password";
CREATE TABLE "passwords" (
    "applicant_id" text NOT NULL,
    "hash" text NOT NULL,
    "failed_attempts" integer NOT NULL,
    "locked_until" timestamptz,
    CONSTRAINT "passwords_pkey" PRIMARY KEY ("applicant_id")
);
CREATE TABLE "refresh_tokens" (
    "token_hash" text NOT NULL,
    "applicant_id" text NOT NULL,
    "expires_at" timestamptz NOT NULL,
    CONSTRAINT "refresh_tokens_pkey" PRIMARY KEY ("token_hash")
);
CREATE INDEX "refresh_tokens_applicant_id_idx" ON "refresh_tokens" ("applicant_id", "token_hash");
