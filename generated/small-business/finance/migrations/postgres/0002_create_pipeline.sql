-- Migration 2 of the `finance` service, written by svcgen for postgres. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "pipeline" (
    "grant_id" uuid NOT NULL,
    "business_id" uuid NOT NULL,
    "program" text NOT NULL,
    "amount_cents" bigint NOT NULL,
    "submitted_at" timestamptz NOT NULL,
    CONSTRAINT "pipeline_pkey" PRIMARY KEY ("grant_id")
);
CREATE INDEX "pipeline_business_id_idx" ON "pipeline" ("business_id", "grant_id");
