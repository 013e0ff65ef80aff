import type { Metadata } from 'next';
import { RuleSetsView } from '@/features/rules/rule-sets-view';
import { roleSatisfies } from '@/server/roles';
import { requireConsole } from '@/server/require-console';

export const metadata: Metadata = { title: 'Rules' };

export default async function RulesPage() {
  const context = await requireConsole();
  return <RuleSetsView canAuthor={roleSatisfies(context.role, 'author')} />;
}
