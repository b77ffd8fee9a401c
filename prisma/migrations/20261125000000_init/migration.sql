-- CreateExtension
CREATE EXTENSION IF NOT EXISTS "vector";

-- CreateTable
CREATE TABLE "images" (
    "id" UUID NOT NULL,
    "sha256" TEXT NOT NULL,
    "original_path" TEXT NOT NULL,
    "thumbnail_path" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "eye" TEXT,
    "grade" SMALLINT,
    "patient_ref" TEXT,
    "source" TEXT NOT NULL,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "images_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "images_eye_check" CHECK ("eye" IN ('left', 'right')),
    CONSTRAINT "images_grade_check" CHECK ("grade" BETWEEN 0 AND 4)
);

-- CreateTable
CREATE TABLE "model_versions" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "architecture" TEXT NOT NULL,
    "embedding_dim" INTEGER NOT NULL,
    "input_size" INTEGER NOT NULL,
    "preprocessing" JSONB NOT NULL,
    "spec" JSONB NOT NULL DEFAULT '{}',
    "weights_path" TEXT,
    "trained" BOOLEAN NOT NULL DEFAULT false,
    "active" BOOLEAN NOT NULL DEFAULT false,
    "metrics" JSONB,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "model_versions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "model_versions_embedding_dim_check" CHECK ("embedding_dim" BETWEEN 1 AND 2000)
);

-- CreateTable
CREATE TABLE "embeddings" (
    "image_id" UUID NOT NULL,
    "model_version_id" UUID NOT NULL,
    "embedding" vector NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "embeddings_pkey" PRIMARY KEY ("model_version_id", "image_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "images_sha256_key" ON "images"("sha256");
CREATE INDEX "images_patient_ref_idx" ON "images"("patient_ref");
CREATE INDEX "images_source_idx" ON "images"("source");
CREATE UNIQUE INDEX "model_versions_name_key" ON "model_versions"("name");
-- At most one active model version.
CREATE UNIQUE INDEX "model_versions_single_active" ON "model_versions"("active") WHERE "active";
CREATE INDEX "embeddings_image_id_idx" ON "embeddings"("image_id");

-- AddForeignKey
ALTER TABLE "embeddings" ADD CONSTRAINT "embeddings_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "images"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "embeddings" ADD CONSTRAINT "embeddings_model_version_id_fkey" FOREIGN KEY ("model_version_id") REFERENCES "model_versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
