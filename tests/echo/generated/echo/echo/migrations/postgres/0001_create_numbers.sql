-- Migration 1 of the `echo` service, written by svcgen for postgres. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "numbers" (
    "id" uuid NOT NULL,
    "tiny" smallint NOT NULL,
    "small" smallint NOT NULL,
    "medium" integer NOT NULL,
    "large" bigint NOT NULL,
    "byte" smallint NOT NULL,
    "word" integer NOT NULL,
    "count" bigint NOT NULL,
    "huge" jsonb NOT NULL,
    "ratio" real NOT NULL,
    "precise" double precision NOT NULL,
    "percent" smallint NOT NULL,
    "offset" smallint NOT NULL,
    "weight" real NOT NULL,
    "maybe_count" bigint,
    "maybe_huge" jsonb,
    "level" integer NOT NULL,
    "scale" real NOT NULL,
    CONSTRAINT "numbers_pkey" PRIMARY KEY ("id")
);
