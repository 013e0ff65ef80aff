import type { Metadata } from 'next';
import { Suspense } from 'react';
import { OverridesView } from '@/features/rules/overrides-view';
import { environmentsAllowing } from '@/server/console-context';
import { requireConsole } from '@/server/require-console';
import { getServerCaller } from '@/trpc/server';

export const metadata: Metadata = { title: 'Lists & macros' };

export default async function ListsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const context = await requireConsole();
  const params = await searchParams;
  const caller = await getServerCaller();
  // Rendered with its data: fetched in the browser, the rule sets and then the layers were two
  // round trips after the scripts loaded, and the page showed "Loading…" for seconds.
  const sets = await caller.rules.listRuleSets();
  const envName = (typeof params.env === 'string' ? params.env : null) ?? context.environment?.name;
  const env = context.environments.find((e) => e.name === envName) ?? context.environments[0];
  const ruleSetId = (typeof params.ruleSet === 'string' ? params.ruleSet : null) ?? sets[0]?.id ?? null;
  // A bad ruleSet in the URL is left to the browser's query, which shows the error in place.
  const layers =
    ruleSetId && env
      ? await caller.rules
          .getEnvironmentLayers({ ruleSetId, environmentId: env.id })
          .then((data) => ({ ruleSetId, environmentId: env.id, data }))
          .catch(() => null)
      : null;
  return (
    <Suspense>
      <OverridesView
        environments={context.environments}
        initialEnvironment={context.environment?.name ?? null}
        authorEnvironmentIds={environmentsAllowing(context, 'author')}
        initialSets={sets}
        initialLayers={layers}
      />
    </Suspense>
  );
}
