-- Migration 1 of the `finance` service, written by svcgen for sqlite. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "disbursements" (
    "id" BLOB NOT NULL,
    "grant_id" BLOB NOT NULL,
    "business_id" BLOB NOT NULL,
    "amount_cents" INTEGER NOT NULL,
    "disbursed_on" TEXT NOT NULL,
    CONSTRAINT "disbursements_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "disbursements_grant_id_key" ON "disbursements" ("grant_id");
CREATE INDEX "disbursements_business_id_idx" ON "disbursements" ("business_id", "id");
