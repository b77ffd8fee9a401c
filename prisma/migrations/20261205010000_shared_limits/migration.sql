-- Counters shared by every API process of one PostgreSQL database (CBMIR_ROLE=api replicas), so that
-- per-caller limits hold across them. Request counters of the rate limits: one row per caller and limited
-- route, its current fixed window and the requests in it; rows of windows long past are deleted as new ones come.
CREATE TABLE "rate_limit_windows" (
    "key" TEXT NOT NULL,
    "window_start" TIMESTAMPTZ(6) NOT NULL,
    "hits" INTEGER NOT NULL,
    CONSTRAINT "rate_limit_windows_pkey" PRIMARY KEY ("key")
);

CREATE INDEX "rate_limit_windows_window_start_idx" ON "rate_limit_windows"("window_start");

-- Failed sign-ins, shared by every API process so the login throttle holds across them. The key is a
-- SHA-256 of (username, address) or of the address alone: what a user typed is never stored in clear.
CREATE TABLE "login_failures" (
    "id" BIGSERIAL NOT NULL,
    "key" TEXT NOT NULL,
    "at" TIMESTAMPTZ(6) NOT NULL,
    CONSTRAINT "login_failures_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "login_failures_key_at_idx" ON "login_failures"("key", "at");
