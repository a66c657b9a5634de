-- Migration 1 of the `analytics` service, written by svcgen for sqlite. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "events" (
    "id" BLOB NOT NULL,
    "name" TEXT NOT NULL,
    "applicant_id" TEXT,
    "at" TEXT NOT NULL,
    "properties" TEXT NOT NULL,
    CONSTRAINT "events_pkey" PRIMARY KEY ("id")
);
