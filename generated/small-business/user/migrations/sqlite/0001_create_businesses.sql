-- Migration 1 of the `user` service, written by svcgen for sqlite. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "businesses" (
    "id" BLOB NOT NULL,
    "legal_name" TEXT NOT NULL,
    "tax_id" TEXT NOT NULL,
    "size" TEXT NOT NULL,
    "contact_email" TEXT NOT NULL,
    "website" TEXT,
    CONSTRAINT "businesses_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "businesses_tax_id_key" ON "businesses" ("tax_id");
