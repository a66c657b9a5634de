-- Migration 1 of the `grant` service, written by svcgen for sqlite. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "grants" (
    "id" BLOB NOT NULL,
    "application" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "submitted_at" TEXT NOT NULL,
    "notes" TEXT NOT NULL,
    CONSTRAINT "grants_pkey" PRIMARY KEY ("id")
);
