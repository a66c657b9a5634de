-- Migration 1 of the `billing` service, written by svcgen for postgres. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "invoices" (
    "id" uuid NOT NULL,
    "policy_id" uuid NOT NULL,
    "amount_cents" bigint NOT NULL,
    "due_on" date NOT NULL,
    "paid" boolean NOT NULL,
    CONSTRAINT "invoices_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "invoices_policy_id_idx" ON "invoices" ("policy_id", "id");
