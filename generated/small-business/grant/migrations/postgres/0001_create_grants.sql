-- Migration 1 of the `grant` service, written by svcgen for postgres. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "grants" (
    "id" uuid NOT NULL,
    "application" jsonb NOT NULL,
    "status" text NOT NULL,
    "submitted_at" timestamptz NOT NULL,
    "notes" jsonb NOT NULL,
    CONSTRAINT "grants_pkey" PRIMARY KEY ("id")
);
