-- A version whose activation was asked for: its embeddings are being computed; search switches to it
-- only when every image has one. Survives restarts (the server resumes the indexing).
ALTER TABLE "model_versions" ADD COLUMN "activation_requested_at" TIMESTAMPTZ(6);
ALTER TABLE "model_versions" ADD COLUMN "activated_at" TIMESTAMPTZ(6);
