-- Migration 1 of the `auth` service, written by svcgen for sqlite. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "accounts" (
    "email" TEXT NOT NULL,
    "applicant_id" TEXT NOT NULL,
    "full_name" TEXT NOT NULL,
    "password" TEXT NOT NULL,
    CONSTRAINT "accounts_pkey" PRIMARY KEY ("applicant_id")
);
CREATE UNIQUE INDEX "accounts_email_key" ON "accounts" ("email");
CREATE TABLE "sessions" (
    "token" TEXT NOT NULL,
    "applicant_id" TEXT NOT NULL,
    "expires_at" TEXT NOT NULL,
    CONSTRAINT "sessions_pkey" PRIMARY KEY ("token")
);
