'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ROLES, type Role } from '@/server/roles';
import type { RouterOutputs } from './router-types';
import { useTRPC } from '@/trpc/client';
import styles from './admin.module.css';
import { ConfirmButton, ErrorBanner, TimeAgo } from './admin-ui';

type Member = RouterOutputs['organization']['listMembers'][number];

/** Members and their roles; admins change roles and remove members (never the last admin). */
export function MembersPanel({
  initialMembers,
  canManage,
  viewerId,
}: {
  initialMembers: Member[];
  canManage: boolean;
  viewerId: string;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const members = useQuery({ ...trpc.organization.listMembers.queryOptions(), initialData: initialMembers });
  const refresh = () => queryClient.invalidateQueries(trpc.organization.listMembers.queryFilter());
  const changeRole = useMutation(trpc.members.changeRole.mutationOptions({ onSettled: refresh }));
  const remove = useMutation(trpc.members.remove.mutationOptions({ onSettled: refresh }));
  const list = members.data;
  const admins = list.filter((m) => m.role === 'admin').length;

  return (
    <section className="panel" aria-labelledby="members-heading">
      <div className="panel-header">
        <h2 id="members-heading">Members</h2>
        <span className="field-hint">
          {list.length} member{list.length === 1 ? '' : 's'}
        </span>
      </div>
      <ErrorBanner error={changeRole.error ?? remove.error} />
      <div className={styles.tableWrap}>
        <table className="table" data-testid="members-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Joined</th>
              {canManage ? (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {list.map((member) => {
              const lastAdmin = member.role === 'admin' && admins <= 1;
              // Show the chosen role while the change is in flight rather than snapping back.
              const pendingRole =
                changeRole.isPending && changeRole.variables?.userId === member.userId
                  ? changeRole.variables.role
                  : null;
              return (
                <tr key={member.userId} data-testid={`member-${member.email}`}>
                  <td>
                    {member.name}
                    {member.userId === viewerId ? <span className={styles.muted}> (you)</span> : null}
                  </td>
                  <td className="muted">{member.email}</td>
                  <td>
                    {canManage ? (
                      <select
                        className={`select ${styles.compactSelect}`}
                        aria-label={`Role of ${member.name}`}
                        value={pendingRole ?? member.role}
                        disabled={changeRole.isPending || lastAdmin}
                        title={lastAdmin ? 'The organisation needs at least one admin' : undefined}
                        onChange={(event) =>
                          changeRole.mutate({ userId: member.userId, role: event.target.value as Role })
                        }
                      >
                        {[...ROLES].reverse().map((role) => (
                          <option key={role} value={role}>
                            {role}
                          </option>
                        ))}
                      </select>
                    ) : (
                      <span className="badge">{member.role}</span>
                    )}
                  </td>
                  <td className="muted">
                    <TimeAgo iso={member.joinedAt} />
                  </td>
                  {canManage ? (
                    <td>
                      <div className={styles.rowActions}>
                        {lastAdmin ? null : (
                          <ConfirmButton
                            label="Remove"
                            confirmLabel={`Remove ${member.name}`}
                            disabled={remove.isPending}
                            onConfirm={() => remove.mutate({ userId: member.userId })}
                          />
                        )}
                      </div>
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p className={styles.note}>
        Viewers read everything; triagers also change alert status, assignee and notes; authors also edit rule
        drafts and lists; admins also promote rules and manage members, keys, sensors and sources.
      </p>
    </section>
  );
}
