-- Migration 1 of the `PermitService` service, written by svcgen for sqlite. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "permits" (
    "id" BLOB NOT NULL,
    "application" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "fee_cents" INTEGER NOT NULL,
    "decided_at" TEXT,
    "reason" TEXT,
    CONSTRAINT "permits_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "permits_status_idx" ON "permits" ("status", "id");
