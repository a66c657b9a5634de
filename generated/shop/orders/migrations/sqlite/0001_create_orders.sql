-- Migration 1 of the `orders` service, written by svcgen for sqlite. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "orders" (
    "id" BLOB NOT NULL,
    "user_id" BLOB NOT NULL,
    "lines" TEXT NOT NULL,
    "total_cents" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "placed_at" TEXT NOT NULL,
    CONSTRAINT "orders_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "orders_user_id_idx" ON "orders" ("user_id", "id");
