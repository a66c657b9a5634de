-- Migration 2 of the `auth` service, written by svcgen for sqlite. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

DROP INDEX IF EXISTS "accounts_password_key";
DROP INDEX IF EXISTS "accounts_password_idx";
ALTER TABLE "accounts" DROP COLUMN "password";
CREATE TABLE "passwords" (
    "applicant_id" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "failed_attempts" INTEGER NOT NULL,
    "locked_until" TEXT,
    CONSTRAINT "passwords_pkey" PRIMARY KEY ("applicant_id")
);
CREATE TABLE "refresh_tokens" (
    "token_hash" TEXT NOT NULL,
    "applicant_id" TEXT NOT NULL,
    "expires_at" TEXT NOT NULL,
    CONSTRAINT "refresh_tokens_pkey" PRIMARY KEY ("token_hash")
);
CREATE INDEX "refresh_tokens_applicant_id_idx" ON "refresh_tokens" ("applicant_id", "token_hash");
