-- Migration 1 of the `echo` service, written by svcgen for sqlite. It may already be
-- applied somewhere: never edit it; put further changes in a new migration.

CREATE TABLE "numbers" (
    "id" BLOB NOT NULL,
    "tiny" INTEGER NOT NULL,
    "small" INTEGER NOT NULL,
    "medium" INTEGER NOT NULL,
    "large" INTEGER NOT NULL,
    "byte" INTEGER NOT NULL,
    "word" INTEGER NOT NULL,
    "count" INTEGER NOT NULL,
    "huge" TEXT NOT NULL,
    "ratio" REAL NOT NULL,
    "precise" REAL NOT NULL,
    "percent" INTEGER NOT NULL,
    "offset" INTEGER NOT NULL,
    "weight" REAL NOT NULL,
    "maybe_count" INTEGER,
    "maybe_huge" TEXT,
    "level" INTEGER NOT NULL,
    "scale" REAL NOT NULL,
    CONSTRAINT "numbers_pkey" PRIMARY KEY ("id")
);
