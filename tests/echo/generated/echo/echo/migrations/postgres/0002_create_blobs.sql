-- Migration 2 of the `echo` service, written by svcgen for postgres. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "blobs" (
    "id" uuid NOT NULL,
    "data" bytea NOT NULL,
    "parts" jsonb NOT NULL,
    "maybe" bytea,
    CONSTRAINT "blobs_pkey" PRIMARY KEY ("id")
);
