-- Migration 1 of the `messaging` service, written by svcgen for sqlite. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "messages" (
    "id" BLOB NOT NULL,
    "applicant_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "sent_at" TEXT NOT NULL,
    "in_reply_to" TEXT,
    CONSTRAINT "messages_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "messages_applicant_id_idx" ON "messages" ("applicant_id", "id");
