-- Migration 1 of the `inventory` service, written by svcgen for sqlite. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "items" (
    "sku" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "price_cents" INTEGER NOT NULL,
    "stock" INTEGER NOT NULL,
    "tags" TEXT NOT NULL,
    CONSTRAINT "items_pkey" PRIMARY KEY ("sku")
);
