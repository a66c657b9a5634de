-- Migration 1 of the `notification` service, written by svcgen for sqlite. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "notifications" (
    "id" BLOB NOT NULL,
    "user_id" BLOB NOT NULL,
    "channel" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "sent_at" TEXT NOT NULL,
    CONSTRAINT "notifications_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "notifications_user_id_idx" ON "notifications" ("user_id", "id");
