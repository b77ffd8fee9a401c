-- Retrieval evaluations (`cbmir eval`), kept per model version and data set: the metrics with their chance
-- levels, the precision-recall curves and the 2-D embedding map, as JSON the web app draws from.
CREATE TABLE "evaluations" (
    "id" UUID NOT NULL,
    "model_version_id" UUID NOT NULL,
    "layer" TEXT,
    "protocol" TEXT NOT NULL,
    "data_name" TEXT NOT NULL,
    "data_fingerprint" TEXT NOT NULL,
    "gallery_name" TEXT,
    "gallery_fingerprint" TEXT,
    "query_count" INTEGER NOT NULL,
    "gallery_count" INTEGER NOT NULL,
    "dimensions" INTEGER NOT NULL,
    "metrics" JSONB NOT NULL,
    "pr_curve" JSONB NOT NULL,
    "map_points" JSONB,
    "details" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "evaluations_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "evaluations_protocol_check" CHECK ("protocol" IN ('leave-patient-out', 'gallery'))
);

CREATE INDEX "evaluations_model_version_id_created_at_idx" ON "evaluations"("model_version_id", "created_at" DESC);

ALTER TABLE "evaluations" ADD CONSTRAINT "evaluations_model_version_id_fkey" FOREIGN KEY ("model_version_id") REFERENCES "model_versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
