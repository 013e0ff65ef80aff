import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { PromotionReview, type ReviewAction } from '@/features/rules/promotion-review';
import { roleSatisfies } from '@/server/roles';
import { environmentsAllowing } from '@/server/console-context';
import { requireConsole } from '@/server/require-console';

export const metadata: Metadata = { title: 'Review activation' };

const ACTIONS: readonly ReviewAction[] = ['activate', 'promote', 'rollback'];
const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

export default async function ReviewPage({
  params,
  searchParams,
}: {
  params: Promise<{ ruleSetId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const context = await requireConsole();
  const { ruleSetId } = await params;
  const query = await searchParams;
  const action = one(query.action) as ReviewAction | undefined;
  const versionId = one(query.version);
  const to = one(query.to);
  if (!action || !ACTIONS.includes(action) || !versionId || !to) notFound();
  return (
    <PromotionReview
      ruleSetId={ruleSetId}
      action={action}
      versionId={versionId}
      toEnvironmentId={to}
      fromEnvironmentId={one(query.from) ?? null}
      canPromote={environmentsAllowing(context, 'promote').includes(to)}
      canRunBacktest={roleSatisfies(context.role, 'author')}
    />
  );
}
