import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { BacktestPage } from '@/features/backtests/backtest-page';
import { roleSatisfies } from '@/server/roles';
import { requireConsole } from '@/server/require-console';

export const metadata: Metadata = { title: 'Backtest' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export default async function BacktestRoute({ params }: { params: Promise<{ id: string }> }) {
  const context = await requireConsole();
  const { id } = await params;
  if (!UUID.test(id)) notFound();
  return <BacktestPage id={id} canCancel={roleSatisfies(context.role, 'author')} />;
}
