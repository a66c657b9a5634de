-- Migration 1 of the `PermitService` service, written by svcgen for postgres. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "permits" (
    "id" uuid NOT NULL,
    "application" jsonb NOT NULL,
    "status" text NOT NULL,
    "fee_cents" bigint NOT NULL,
    "decided_at" timestamptz,
    "reason" text,
    CONSTRAINT "permits_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "permits_status_idx" ON "permits" ("status", "id");
