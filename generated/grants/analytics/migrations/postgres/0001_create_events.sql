-- Migration 1 of the `analytics` service, written by svcgen for postgres. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "events" (
    "id" uuid NOT NULL,
    "name" text NOT NULL,
    "applicant_id" text,
    "at" timestamptz NOT NULL,
    "properties" jsonb NOT NULL,
    CONSTRAINT "events_pkey" PRIMARY KEY ("id")
);
