'use client';

import { useQuery } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useTRPC } from '@/trpc/client';
import { AlertDetail } from './alert-detail';

/** An alert on its own page (a link to share). */
export function AlertPage({
  id,
  canTriage,
  canAuthor,
}: {
  id: string;
  canTriage: boolean;
  canAuthor: boolean;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const members = useQuery(trpc.organization.listMembers.queryOptions());
  return (
    <div style={{ maxWidth: 960 }}>
      <AlertDetail
        id={id}
        canTriage={canTriage}
        canAuthor={canAuthor}
        members={(members.data ?? []).map((m) => ({ userId: m.userId, name: m.name }))}
        onOpen={(other) => router.push(`/alerts/${other}`)}
        onFilterField={(key, value) => router.push(`/alerts?f=${encodeURIComponent(`${key}=${value}`)}`)}
      />
    </div>
  );
}
