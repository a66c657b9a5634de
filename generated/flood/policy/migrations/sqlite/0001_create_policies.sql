-- Migration 1 of the `policy` service, written by svcgen for sqlite. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "policies" (
    "id" BLOB NOT NULL,
    "customer_email" TEXT NOT NULL,
    "property" TEXT NOT NULL,
    "risk" TEXT NOT NULL,
    "cover_cents" INTEGER NOT NULL,
    "premium_cents" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "invoice_id" BLOB NOT NULL,
    CONSTRAINT "policies_pkey" PRIMARY KEY ("id")
);
