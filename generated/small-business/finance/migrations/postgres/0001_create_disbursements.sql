-- Migration 1 of the `finance` service, written by svcgen for postgres. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "disbursements" (
    "id" uuid NOT NULL,
    "grant_id" uuid NOT NULL,
    "business_id" uuid NOT NULL,
    "amount_cents" bigint NOT NULL,
    "disbursed_on" date NOT NULL,
    CONSTRAINT "disbursements_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "disbursements_grant_id_key" ON "disbursements" ("grant_id");
CREATE INDEX "disbursements_business_id_idx" ON "disbursements" ("business_id", "id");
