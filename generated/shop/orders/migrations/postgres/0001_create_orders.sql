-- Migration 1 of the `orders` service, written by svcgen for postgres. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "orders" (
    "id" uuid NOT NULL,
    "user_id" uuid NOT NULL,
    "lines" jsonb NOT NULL,
    "total_cents" bigint NOT NULL,
    "status" text NOT NULL,
    "placed_at" timestamptz NOT NULL,
    CONSTRAINT "orders_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "orders_user_id_idx" ON "orders" ("user_id", "id");
