-- A stored image whose original can no longer be read or decoded (deleted or damaged on disk): marked with
-- the reason and when it was found, left out of (re-)embedding so that it cannot block a start or an
-- activation, and counted for admins. Ingesting the same content again repairs it and clears the mark.
ALTER TABLE "images" ADD COLUMN "unreadable_reason" TEXT;
ALTER TABLE "images" ADD COLUMN "unreadable_at" TIMESTAMPTZ(6);
