-- Migration 1 of the `users` service, written by svcgen for sqlite. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "users" (
    "id" BLOB NOT NULL,
    "name" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "nickname" TEXT,
    "created_at" TEXT NOT NULL,
    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "users_email_key" ON "users" ("email");
