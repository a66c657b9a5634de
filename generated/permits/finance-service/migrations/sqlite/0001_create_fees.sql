-- Migration 1 of the `FinanceService` service, written by svcgen for sqlite. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "fees" (
    "permit_id" BLOB NOT NULL,
    "amount_cents" INTEGER NOT NULL,
    "recorded_at" TEXT NOT NULL,
    CONSTRAINT "fees_pkey" PRIMARY KEY ("permit_id")
);
