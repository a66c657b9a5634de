-- Migration 2 of the `echo` service, written by svcgen for sqlite. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "blobs" (
    "id" BLOB NOT NULL,
    "data" BLOB NOT NULL,
    "parts" TEXT NOT NULL,
    "maybe" BLOB,
    CONSTRAINT "blobs_pkey" PRIMARY KEY ("id")
);
