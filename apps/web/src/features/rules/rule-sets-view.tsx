'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { PageHeader } from '@/features/shell/page-header';
import { useTRPC } from '@/trpc/client';
import styles from './rules.module.css';
import { EnvVersion, errorText, StatusBadge, TimeAgo } from './rules-ui';

/** Rule sets of the organisation: newest version, what each environment runs, and creation. */
export function RuleSetsView({ canAuthor }: { canAuthor: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const sets = useQuery(trpc.rules.listRuleSets.queryOptions());
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const create = useMutation(
    trpc.rules.createRuleSet.mutationOptions({
      onSuccess: async (result) => {
        await queryClient.invalidateQueries({ queryKey: trpc.rules.listRuleSets.queryKey() });
        router.push(`/rules/${result.ruleSet.id}`);
      },
    }),
  );
  const onCreate = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ name, description });
  };
  const environments = sets.data?.[0]?.environments ?? [];

  return (
    <>
      <PageHeader
        title="Rules"
        description="Falco rule sets with immutable versions. Edit a draft, test it on sample events, activate it in staging, then promote it."
        actions={
          canAuthor && !creating ? (
            <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
              New rule set
            </button>
          ) : null
        }
      />
      {creating ? (
        <section className="panel">
          <form className={styles.createForm} onSubmit={onCreate} aria-label="New rule set">
            <label className="field">
              <span className="field-label">Name</span>
              <input
                className="input"
                value={name}
                onChange={(e) => setName(e.target.value)}
                placeholder="e.g. Container runtime"
                required
                maxLength={120}
              />
            </label>
            <label className="field">
              <span className="field-label">Description</span>
              <input
                className="input"
                value={description}
                onChange={(e) => setDescription(e.target.value)}
                placeholder="What these rules detect"
                maxLength={500}
              />
            </label>
            <div className={styles.toolbar}>
              <button type="button" className="button" onClick={() => setCreating(false)}>
                Cancel
              </button>
              <button
                type="submit"
                className="button button-primary"
                disabled={create.isPending || !name.trim()}
              >
                Create
              </button>
            </div>
          </form>
          {create.error ? (
            <div className="alert-banner" role="alert" style={{ margin: '0 14px 12px' }}>
              {errorText(create.error)}
            </div>
          ) : null}
        </section>
      ) : null}
      <section className="panel">
        {sets.isPending ? (
          <div className={styles.emptyLine}>Loading rule sets…</div>
        ) : sets.error ? (
          <div className="alert-banner" role="alert">
            {errorText(sets.error)}
          </div>
        ) : sets.data.length === 0 ? (
          <div className="empty-state">
            <h2>No rule sets yet</h2>
            <p>
              A rule set holds Falco rules files. Create one to start from a small working rule, edit it with
              live diagnostics, and activate it in an environment.
            </p>
          </div>
        ) : (
          <table className="table" data-testid="rule-sets-table">
            <thead>
              <tr>
                <th scope="col">Rule set</th>
                <th scope="col">Latest version</th>
                {environments.map((env) => (
                  <th scope="col" key={env.id}>
                    {env.displayName}
                  </th>
                ))}
                <th scope="col">Versions</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {sets.data.map((set) => (
                <tr key={set.id}>
                  <td>
                    <div className={styles.nameCell}>
                      <Link href={`/rules/${set.id}`}>{set.name}</Link>
                      {set.description ? <span className={styles.faint}>{set.description}</span> : null}
                      {set.newerDefaults ? (
                        <Link
                          href={`/rules/${set.id}`}
                          className={styles.warnText}
                          data-testid="newer-default-rules"
                        >
                          This release ships newer default rules: review them
                        </Link>
                      ) : null}
                    </div>
                  </td>
                  <td>
                    {set.latest ? (
                      <span className={styles.toolbar}>
                        <span className={styles.mono}>v{set.latest.number}</span>
                        <StatusBadge status={set.latest.status} />
                      </span>
                    ) : (
                      '—'
                    )}
                  </td>
                  {set.environments.map((env) => (
                    <td key={env.id}>
                      <EnvVersion env={env.name} number={env.number} />
                    </td>
                  ))}
                  <td className="muted">{set.versionCount}</td>
                  <td className="muted">{set.latest ? <TimeAgo iso={set.latest.createdAt} /> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
