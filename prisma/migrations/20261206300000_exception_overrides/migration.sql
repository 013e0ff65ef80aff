-- Environment overrides also hold exceptions appended to a rule (kind 'exception'): the rule and
-- the exception's conditions ([{field, comp, value}]), proposed from an alert in the console and
-- applied by the collector as Falco's `override: exceptions: append` after the active version.

-- AlterEnum
ALTER TYPE "OverrideKind" ADD VALUE 'exception';

-- AlterTable
ALTER TABLE "environment_overrides" ADD COLUMN     "exception" JSONB,
ADD COLUMN     "rule" TEXT;
