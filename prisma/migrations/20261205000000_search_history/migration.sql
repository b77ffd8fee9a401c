-- "My searches": each clinician's (or API key's) own searches, to list and run again. Unlike the audit trail,
-- which keeps only the query image's hash, a search here points at the query photograph itself, stored under
-- CBMIR_DATA_DIR/queries by that hash (DICOM queries: the image taken out of the file, never its header).
CREATE TABLE "search_history" (
    "id" UUID NOT NULL,
    "actor_type" TEXT NOT NULL,
    "actor_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "query_sha256" TEXT,
    "query_format" TEXT,
    "query_image_id" UUID,
    "region" JSONB,
    "k" INTEGER NOT NULL,
    "filters" JSONB NOT NULL DEFAULT '{}',
    "model_version_id" UUID NOT NULL,
    "results" INTEGER NOT NULL,
    "top_image_id" UUID,
    "top_distance" DOUBLE PRECISION,
    "top_grade" INTEGER,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "search_history_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "search_history_actor_type_check" CHECK ("actor_type" IN ('user', 'api_key')),
    CONSTRAINT "search_history_kind_check" CHECK (
      ("kind" = 'image' AND "query_sha256" IS NOT NULL AND "query_format" IS NOT NULL) OR ("kind" = 'case' AND "query_image_id" IS NOT NULL)
    )
);

CREATE INDEX "search_history_actor_type_actor_id_created_at_idx" ON "search_history"("actor_type", "actor_id", "created_at" DESC);
