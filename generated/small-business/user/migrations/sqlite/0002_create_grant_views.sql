-- Migration 2 of the `user` service, written by svcgen for sqlite. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "grant_views" (
    "id" BLOB NOT NULL,
    "grant_id" BLOB NOT NULL,
    "business_id" BLOB NOT NULL,
    "status" TEXT NOT NULL,
    "viewed_at" TEXT NOT NULL,
    CONSTRAINT "grant_views_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "grant_views_business_id_idx" ON "grant_views" ("business_id", "id");
