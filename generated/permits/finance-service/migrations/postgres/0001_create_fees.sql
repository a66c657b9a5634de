-- Migration 1 of the `FinanceService` service, written by svcgen for postgres. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "fees" (
    "permit_id" uuid NOT NULL,
    "amount_cents" bigint NOT NULL,
    "recorded_at" timestamptz NOT NULL,
    CONSTRAINT "fees_pkey" PRIMARY KEY ("permit_id")
);
