-- Migration 1 of the `policy` service, written by svcgen for postgres. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "policies" (
    "id" uuid NOT NULL,
    "customer_email" text NOT NULL,
    "property" jsonb NOT NULL,
    "risk" jsonb NOT NULL,
    "cover_cents" bigint NOT NULL,
    "premium_cents" bigint NOT NULL,
    "status" text NOT NULL,
    "invoice_id" uuid NOT NULL,
    CONSTRAINT "policies_pkey" PRIMARY KEY ("id")
);
