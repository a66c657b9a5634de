-- Migration 1 of the `auth` service, written by svcgen for postgres. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "accounts" (
    "email" text NOT NULL,
    "applicant_id" text NOT NULL,
    "full_name" text NOT NULL,
    "password" text NOT NULL,
    CONSTRAINT "accounts_pkey" PRIMARY KEY ("applicant_id")
);
CREATE UNIQUE INDEX "accounts_email_key" ON "accounts" ("email");
CREATE TABLE "sessions" (
    "token" text NOT NULL,
    "applicant_id" text NOT NULL,
    "expires_at" timestamptz NOT NULL,
    CONSTRAINT "sessions_pkey" PRIMARY KEY ("token")
);
