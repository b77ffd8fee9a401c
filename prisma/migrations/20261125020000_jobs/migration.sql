-- Background jobs (archive and folder ingest) and their per-file report. Our own small queue rather than
-- pg-boss so that embedded PGlite has the same durability as a PostgreSQL server.

-- CreateTable
CREATE TABLE "jobs" (
    "id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "params" JSONB NOT NULL DEFAULT '{}',
    "total" INTEGER,
    "next_entry" INTEGER NOT NULL DEFAULT 0,
    "done" INTEGER NOT NULL DEFAULT 0,
    "added" INTEGER NOT NULL DEFAULT 0,
    "duplicate" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "near_duplicate" INTEGER NOT NULL DEFAULT 0,
    "unlabelled" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "created_by" TEXT,
    "created_by_name" TEXT,
    "worker_id" TEXT,
    "heartbeat_at" TIMESTAMPTZ(6),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "run_started_at" TIMESTAMPTZ(6),
    "run_started_done" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(6),
    "finished_at" TIMESTAMPTZ(6),
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "jobs_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "jobs_status_check" CHECK ("status" IN ('queued', 'running', 'completed', 'failed', 'cancelled'))
);

-- CreateTable
CREATE TABLE "job_items" (
    "job_id" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "file_name" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "code" TEXT,
    "reason" TEXT,
    "image_id" UUID,
    "near_duplicate_of" UUID,
    "near_duplicate_distance" DOUBLE PRECISION,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "job_items_pkey" PRIMARY KEY ("job_id", "seq"),
    CONSTRAINT "job_items_status_check" CHECK ("status" IN ('added', 'duplicate', 'failed'))
);

-- CreateIndex
CREATE INDEX "jobs_status_idx" ON "jobs"("status");
CREATE INDEX "jobs_created_at_idx" ON "jobs"("created_at");
CREATE INDEX "job_items_job_id_status_seq_idx" ON "job_items"("job_id", "status", "seq");

-- AddForeignKey
ALTER TABLE "job_items" ADD CONSTRAINT "job_items_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;
