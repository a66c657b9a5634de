-- Migration 2 of the `finance` service, written by svcgen for sqlite. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "pipeline" (
    "grant_id" BLOB NOT NULL,
    "business_id" BLOB NOT NULL,
    "program" TEXT NOT NULL,
    "amount_cents" INTEGER NOT NULL,
    "submitted_at" TEXT NOT NULL,
    CONSTRAINT "pipeline_pkey" PRIMARY KEY ("grant_id")
);
CREATE INDEX "pipeline_business_id_idx" ON "pipeline" ("business_id", "grant_id");
