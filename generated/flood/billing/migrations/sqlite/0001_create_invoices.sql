-- Migration 1 of the `billing` service, written by svcgen for sqlite. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "invoices" (
    "id" BLOB NOT NULL,
    "policy_id" BLOB NOT NULL,
    "amount_cents" INTEGER NOT NULL,
    "due_on" TEXT NOT NULL,
    "paid" BOOLEAN NOT NULL,
    CONSTRAINT "invoices_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "invoices_policy_id_idx" ON "invoices" ("policy_id", "id");
