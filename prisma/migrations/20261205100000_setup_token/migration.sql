-- First-run setup needs a one-time token printed in the start log (only its SHA-256 is kept, so
-- every console process can check it). API keys minted by an API key remember it, so revoking a
-- key revokes what it minted. Keys minted by keys before this migration have no parent recorded.

-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN     "parentKeyId" UUID;

-- CreateTable
CREATE TABLE "setup_tokens" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tokenHash" TEXT NOT NULL,
    "expiresAt" TIMESTAMPTZ(6) NOT NULL,
    "createdAt" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "setup_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "setup_tokens_tokenHash_key" ON "setup_tokens"("tokenHash");

-- CreateIndex
CREATE INDEX "api_keys_parentKeyId_idx" ON "api_keys"("parentKeyId");

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_parentKeyId_fkey" FOREIGN KEY ("parentKeyId") REFERENCES "api_keys"("id") ON DELETE CASCADE ON UPDATE CASCADE;
