import { createDb } from '@peregrine/db';
import { createMigratedTestDatabase } from '@peregrine/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeRuleFiles } from './rule-verdict.js';
import { readDefaultRules, seedDemoOrganization } from './seed-demo.js';

describe('demo seed', () => {
  let handle: Awaited<ReturnType<typeof createMigratedTestDatabase>>;
  beforeAll(async () => {
    handle = await createMigratedTestDatabase('seed_demo');
  });
  afterAll(() => handle.drop());

  it('stores the default rules as a valid version active in staging and production, once', async () => {
    const db = createDb(handle.url);
    try {
      const first = await seedDemoOrganization(db);
      expect(first.createdVersion).toBe(true);
      const again = await seedDemoOrganization(db);
      expect(again.createdVersion).toBe(false);
      const version = await db.prisma.ruleSetVersion.findFirstOrThrow({ include: { files: true } });
      expect(version.status).toBe('valid');
      expect(version.files.map((f) => f.name)).toEqual((await readDefaultRules()).map((f) => f.name));
      expect((version.summary as { rules: number }).rules).toBeGreaterThan(10);
      const active = await db.prisma.activation.findMany({ include: { environment: true } });
      expect(active.map((a) => a.environment.name).sort()).toEqual(['production', 'staging']);
    } finally {
      await db.close();
    }
  });
});

describe('rule verdicts', () => {
  it('marks files that do not compile as a draft, with the error located', () => {
    const verdict = judgeRuleFiles([
      {
        name: 'bad.yaml',
        content: '- rule: r\n  desc: d\n  condition: proc.nme = bash\n  output: x\n  priority: WARNING\n',
      },
    ]);
    expect(verdict.status).toBe('draft');
    const error = verdict.diagnostics.find((d) => d.severity === 'error');
    expect(error?.file).toBe('bad.yaml');
    expect(error?.message).toMatch(/proc\.nme/);
    expect(error?.line).toBeGreaterThan(0);
  });
});
