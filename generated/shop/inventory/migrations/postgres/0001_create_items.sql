-- Migration 1 of the `inventory` service, written by svcgen for postgres. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "items" (
    "sku" text NOT NULL,
    "name" text NOT NULL,
    "price_cents" bigint NOT NULL,
    "stock" integer NOT NULL,
    "tags" jsonb NOT NULL,
    CONSTRAINT "items_pkey" PRIMARY KEY ("sku")
);
