-- Migration 1 of the `user` service, written by svcgen for postgres. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "businesses" (
    "id" uuid NOT NULL,
    "legal_name" text NOT NULL,
    "tax_id" text NOT NULL,
    "size" text NOT NULL,
    "contact_email" text NOT NULL,
    "website" text,
    CONSTRAINT "businesses_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "businesses_tax_id_key" ON "businesses" ("tax_id");
