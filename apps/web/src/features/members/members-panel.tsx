'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { AdminPanel, AdminTable, ROLE_OPTIONS } from '@/features/admin/admin-panel';
import styles from '@/features/admin/admin.module.css';
import { ConfirmButton, ErrorBanner, TimeAgo } from '@/features/admin/admin-ui';
import type { Role } from '@/server/roles';
import { useTRPC } from '@/trpc/client';
import type { RouterOutputs } from './router-types';

type Member = RouterOutputs['organization']['listMembers'][number];
type Grant = RouterOutputs['members']['listEnvironmentGrants'][number];
type Environment = { id: string; name: string; displayName: string };

/**
 * A member's role in one environment (their organisation role unless a grant says otherwise) and
 * the promoter grant; admins are admin everywhere and take no grants.
 */
function EnvironmentGrantCell({
  member,
  environment,
  grant,
  pending,
  onChange,
}: {
  member: Member;
  environment: Environment;
  grant: Grant | undefined;
  pending: boolean;
  onChange: (next: { role: Role | null; promoter: boolean }) => void;
}) {
  if (member.role === 'admin') return <span className={styles.muted}>admin</span>;
  const role = grant?.role ?? null;
  const promoter = grant?.promoter ?? false;
  return (
    <span className={styles.grantCell} data-testid={`grant-${member.email}-${environment.name}`}>
      <select
        className={`select ${styles.compactSelect}`}
        aria-label={`Role of ${member.name} in ${environment.displayName}`}
        value={role ?? ''}
        disabled={pending}
        onChange={(event) => onChange({ role: (event.target.value || null) as Role | null, promoter })}
      >
        <option value="">{member.role} (org)</option>
        {ROLE_OPTIONS.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      <label className={styles.grantPromoter}>
        <input
          type="checkbox"
          checked={promoter}
          disabled={pending}
          aria-label={`${member.name} promotes into ${environment.displayName}`}
          onChange={(event) => onChange({ role, promoter: event.target.checked })}
        />
        promoter
      </label>
    </span>
  );
}

/** Members and their roles; admins change roles and remove members (never the last admin). */
export function MembersPanel({
  initialMembers,
  canManage,
  viewerId,
  environments,
}: {
  initialMembers: Member[];
  canManage: boolean;
  viewerId: string;
  /** The organisation's environments: admins set a role and promoter grant per member in each. */
  environments: Environment[];
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const members = useQuery({ ...trpc.organization.listMembers.queryOptions(), initialData: initialMembers });
  const refresh = () => queryClient.invalidateQueries(trpc.organization.listMembers.queryFilter());
  const changeRole = useMutation(trpc.members.changeRole.mutationOptions({ onSettled: refresh }));
  const remove = useMutation(trpc.members.remove.mutationOptions({ onSettled: refresh }));
  const grants = useQuery({ ...trpc.members.listEnvironmentGrants.queryOptions(), enabled: canManage });
  const setGrant = useMutation(
    trpc.members.setEnvironmentGrant.mutationOptions({
      // The saved grant at once, so a next change in the same cell starts from it, not a stale one.
      onSuccess: (saved) =>
        queryClient.setQueryData(trpc.members.listEnvironmentGrants.queryKey(), (old) => [
          ...(old ?? []).filter((g) => g.userId !== saved.userId || g.environmentId !== saved.environmentId),
          ...(saved.role !== null || saved.promoter ? [saved] : []),
        ]),
      onSettled: () => queryClient.invalidateQueries(trpc.members.listEnvironmentGrants.queryFilter()),
    }),
  );
  const grantOf = (userId: string, environmentId: string) =>
    grants.data?.find((g) => g.userId === userId && g.environmentId === environmentId);
  const environmentColumns = canManage
    ? environments.map((environment) => ({
        header: environment.displayName,
        cell: (member: Member) => (
          <EnvironmentGrantCell
            member={member}
            environment={environment}
            grant={grantOf(member.userId, environment.id)}
            pending={setGrant.isPending || grants.isPending}
            onChange={(next) =>
              setGrant.mutate({ userId: member.userId, environmentId: environment.id, ...next })
            }
          />
        ),
      }))
    : [];
  const list = members.data;
  const admins = list.filter((m) => m.role === 'admin').length;
  const isLastAdmin = (member: Member) => member.role === 'admin' && admins <= 1;

  const roleCell = (member: Member) => {
    if (!canManage) return <span className="badge">{member.role}</span>;
    const lastAdmin = isLastAdmin(member);
    // Show the chosen role while the change is in flight rather than snapping back.
    const pendingRole =
      changeRole.isPending && changeRole.variables?.userId === member.userId
        ? changeRole.variables.role
        : null;
    return (
      <select
        className={`select ${styles.compactSelect}`}
        aria-label={`Role of ${member.name}`}
        value={pendingRole ?? member.role}
        disabled={changeRole.isPending || lastAdmin}
        title={lastAdmin ? 'The organisation needs at least one admin' : undefined}
        onChange={(event) => changeRole.mutate({ userId: member.userId, role: event.target.value as Role })}
      >
        {ROLE_OPTIONS.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    );
  };

  return (
    <AdminPanel id="members" title="Members" hint={`${list.length} member${list.length === 1 ? '' : 's'}`}>
      <ErrorBanner error={changeRole.error ?? remove.error ?? setGrant.error ?? grants.error} />
      <AdminTable
        testId="members-table"
        rows={list}
        rowKey={(member) => member.userId}
        rowTestId={(member) => `member-${member.email}`}
        columns={[
          {
            header: 'Name',
            cell: (member) => (
              <>
                {member.name}
                {member.userId === viewerId ? <span className={styles.muted}> (you)</span> : null}
              </>
            ),
          },
          { header: 'Email', className: 'muted', cell: (member) => member.email },
          { header: 'Role', cell: roleCell },
          ...environmentColumns,
          { header: 'Joined', className: 'muted', cell: (member) => <TimeAgo iso={member.joinedAt} /> },
        ]}
        actions={
          canManage
            ? (member) =>
                isLastAdmin(member) ? null : (
                  <ConfirmButton
                    label="Remove"
                    confirmLabel={`Remove ${member.name}`}
                    disabled={remove.isPending}
                    onConfirm={() => remove.mutate({ userId: member.userId })}
                  />
                )
            : undefined
        }
      />
      <p className={styles.note}>
        Viewers read everything; triagers also change alert status, assignee and notes; authors also edit rule
        drafts and lists; admins also promote rules and manage members, keys, sensors and sources.
        {canManage
          ? ' A role set for an environment replaces the organisation role there (up or down) for its lists, macros, sources and sensors; a promoter may activate, promote into and roll back that environment without any other right there. Admins are admin everywhere.'
          : null}
      </p>
    </AdminPanel>
  );
}
