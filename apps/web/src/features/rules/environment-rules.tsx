'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useTRPC } from '@/trpc/client';
import styles from './rules.module.css';
import { EnvVersion, errorText } from './rules-ui';

/** Per rule set, the version each environment runs, with the next promotion an admin can review. */
/** `promoteEnvironmentIds`: where the caller may promote into (admin or promoter there). */
export function EnvironmentRules({ promoteEnvironmentIds }: { promoteEnvironmentIds: string[] }) {
  const trpc = useTRPC();
  const sets = useQuery(trpc.rules.listRuleSets.queryOptions());
  if (sets.isPending) return <div className={styles.emptyLine}>Loading active rules…</div>;
  if (sets.error)
    return (
      <div className="alert-banner" role="alert">
        {errorText(sets.error)}
      </div>
    );
  if (sets.data.length === 0) return <div className={styles.emptyLine}>No rule sets yet.</div>;
  const environments = sets.data[0]?.environments ?? [];
  return (
    <table className="table" data-testid="environment-rules">
      <thead>
        <tr>
          <th scope="col">Rule set</th>
          {environments.map((env) => (
            <th scope="col" key={env.id}>
              {env.displayName}
            </th>
          ))}
          <th scope="col">Next step</th>
        </tr>
      </thead>
      <tbody>
        {sets.data.map((set) => {
          const pending = set.environments.findIndex(
            (env, i) =>
              i > 0 &&
              set.environments[i - 1]?.versionId &&
              env.versionId !== set.environments[i - 1]?.versionId,
          );
          const from = pending > 0 ? set.environments[pending - 1] : undefined;
          const to = pending > 0 ? set.environments[pending] : undefined;
          return (
            <tr key={set.id}>
              <td>
                <Link href={`/rules/${set.id}`}>{set.name}</Link>
              </td>
              {set.environments.map((env) => (
                <td key={env.id}>
                  <EnvVersion env={env.name} number={env.number} />
                </td>
              ))}
              <td>
                {from && to && from.versionId ? (
                  promoteEnvironmentIds.includes(to.id) ? (
                    <Link
                      href={`/rules/${set.id}/review?action=promote&version=${from.versionId}&from=${from.id}&to=${to.id}`}
                    >
                      Review promotion of v{from.number} to {to.displayName}
                    </Link>
                  ) : (
                    <span className={styles.muted}>
                      v{from.number} awaits promotion to {to.displayName}
                    </span>
                  )
                ) : (
                  <span className={styles.muted}>In sync</span>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
