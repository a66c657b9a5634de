-- Migration 1 of the `notification` service, written by svcgen for postgres. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "deliveries" (
    "id" uuid NOT NULL,
    "to" text NOT NULL,
    "sent_at" timestamptz NOT NULL,
    CONSTRAINT "deliveries_pkey" PRIMARY KEY ("id")
);
