-- Migration 1 of the `payment` service, written by svcgen for sqlite. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "receipts" (
    "id" BLOB NOT NULL,
    "applicant_id" TEXT NOT NULL,
    "application_ref" TEXT NOT NULL,
    "amount" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "paid_at" TEXT NOT NULL,
    CONSTRAINT "receipts_pkey" PRIMARY KEY ("id")
);
