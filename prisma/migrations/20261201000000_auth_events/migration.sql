-- CreateTable
CREATE TABLE "auth_events" (
    "id" UUID NOT NULL,
    "type" VARCHAR(64) NOT NULL,
    "outcome" VARCHAR(16) NOT NULL,
    "user_id" UUID,
    "actor_id" UUID,
    "client_id" VARCHAR(64),
    "session_id" VARCHAR(64),
    "ip" VARCHAR(64),
    "user_agent" VARCHAR(256),
    "reason" VARCHAR(200),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "auth_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "auth_events_created_at_id_idx" ON "auth_events"("created_at", "id");

-- CreateIndex
CREATE INDEX "auth_events_user_id_created_at_idx" ON "auth_events"("user_id", "created_at");
