-- Per-caller request counters shared by every API process of one PostgreSQL database (CBMIR_ROLE=api
-- replicas): the search rate limit holds across them. One row per caller and limited route, its current
-- fixed window and the requests in it; rows of windows long past are deleted as new ones come.
CREATE TABLE "rate_limit_windows" (
    "key" TEXT NOT NULL,
    "window_start" TIMESTAMPTZ(6) NOT NULL,
    "hits" INTEGER NOT NULL,
    CONSTRAINT "rate_limit_windows_pkey" PRIMARY KEY ("key")
);

CREATE INDEX "rate_limit_windows_window_start_idx" ON "rate_limit_windows"("window_start");
