-- Migration 1 of the `messaging` service, written by svcgen for postgres. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "messages" (
    "id" uuid NOT NULL,
    "applicant_id" text NOT NULL,
    "kind" text NOT NULL,
    "text" text NOT NULL,
    "sent_at" timestamptz NOT NULL,
    "in_reply_to" jsonb,
    CONSTRAINT "messages_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "messages_applicant_id_idx" ON "messages" ("applicant_id", "id");
