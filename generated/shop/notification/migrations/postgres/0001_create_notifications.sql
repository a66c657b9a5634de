-- Migration 1 of the `notification` service, written by svcgen for postgres. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "notifications" (
    "id" uuid NOT NULL,
    "user_id" uuid NOT NULL,
    "channel" text NOT NULL,
    "subject" text NOT NULL,
    "sent_at" timestamptz NOT NULL,
    CONSTRAINT "notifications_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "notifications_user_id_idx" ON "notifications" ("user_id", "id");
