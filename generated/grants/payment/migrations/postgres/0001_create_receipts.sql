-- Migration 1 of the `payment` service, written by svcgen for postgres. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "receipts" (
    "id" uuid NOT NULL,
    "applicant_id" text NOT NULL,
    "application_ref" text NOT NULL,
    "amount" jsonb NOT NULL,
    "status" text NOT NULL,
    "paid_at" timestamptz NOT NULL,
    CONSTRAINT "receipts_pkey" PRIMARY KEY ("id")
);
