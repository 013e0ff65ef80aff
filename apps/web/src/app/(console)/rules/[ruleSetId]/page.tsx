import type { Metadata } from 'next';
import { Suspense } from 'react';
import { RuleSetWorkbench } from '@/features/rules/rule-set-workbench';
import { environmentsAllowing } from '@/server/console-context';
import { requireConsole } from '@/server/require-console';

export const metadata: Metadata = { title: 'Rule editor' };

export default async function RuleSetPage({ params }: { params: Promise<{ ruleSetId: string }> }) {
  const context = await requireConsole();
  const { ruleSetId } = await params;
  return (
    <Suspense>
      <RuleSetWorkbench
        ruleSetId={ruleSetId}
        role={context.role}
        promoteEnvironmentIds={environmentsAllowing(context, 'promote')}
      />
    </Suspense>
  );
}
