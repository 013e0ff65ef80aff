-- OIDC single sign-on per organisation (issue 16): one identity provider per organisation, its
-- client secret AES-256-GCM encrypted under PEREGRINE_SECRET_KEY like cloud-source secrets, and
-- the email domains it serves (a domain belongs to at most one organisation, so "Sign in with SSO"
-- by email finds exactly one identity provider).

-- CreateTable
CREATE TABLE "sso_configs" (
    "organizationId" UUID NOT NULL,
    "issuer" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "secretsEncrypted" BYTEA,
    "groupsClaim" TEXT NOT NULL DEFAULT 'groups',
    "roleMappings" JSONB NOT NULL DEFAULT '[]',
    "ssoRequired" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sso_configs_pkey" PRIMARY KEY ("organizationId")
);

-- CreateTable
CREATE TABLE "sso_domains" (
    "domain" TEXT NOT NULL,
    "organizationId" UUID NOT NULL,

    CONSTRAINT "sso_domains_pkey" PRIMARY KEY ("domain")
);

-- CreateIndex
CREATE INDEX "sso_domains_organizationId_idx" ON "sso_domains"("organizationId");

-- AddForeignKey
ALTER TABLE "sso_configs" ADD CONSTRAINT "sso_configs_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sso_domains" ADD CONSTRAINT "sso_domains_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "sso_configs"("organizationId") ON DELETE CASCADE ON UPDATE CASCADE;
