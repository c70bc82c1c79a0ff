-- CreateTable
CREATE TABLE "service_clients" (
    "id" VARCHAR(64) NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "secret_hash" VARCHAR(64) NOT NULL,
    "secret_version" INTEGER NOT NULL DEFAULT 1,
    "scopes" VARCHAR(64)[],
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),

    CONSTRAINT "service_clients_pkey" PRIMARY KEY ("id")
);
