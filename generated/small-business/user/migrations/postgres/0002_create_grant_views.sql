-- Migration 2 of the `user` service, written by svcgen for postgres. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "grant_views" (
    "id" uuid NOT NULL,
    "grant_id" uuid NOT NULL,
    "business_id" uuid NOT NULL,
    "status" text NOT NULL,
    "viewed_at" timestamptz NOT NULL,
    CONSTRAINT "grant_views_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "grant_views_business_id_idx" ON "grant_views" ("business_id", "id");
