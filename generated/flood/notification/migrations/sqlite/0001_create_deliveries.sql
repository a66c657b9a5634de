-- Migration 1 of the `notification` service, written by svcgen for sqlite. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "deliveries" (
    "id" BLOB NOT NULL,
    "to" TEXT NOT NULL,
    "sent_at" TEXT NOT NULL,
    CONSTRAINT "deliveries_pkey" PRIMARY KEY ("id")
);
