import { ATTACK_TACTICS, ATTACK_TECHNIQUES } from '@peregrine/engine/display';
import type { Metadata } from 'next';
import { Suspense } from 'react';
import { AttackMatrix } from '@/features/attack/attack-matrix';
import { LoadingState } from '@/features/shell/load-state';
import { PageHeader } from '@/features/shell/page-header';
import { requireConsole } from '@/server/require-console';

export const metadata: Metadata = { title: 'ATT&CK' };

export default async function AttackPage() {
  const context = await requireConsole();
  return (
    <>
      <PageHeader
        title="MITRE ATT&CK"
        description="Which techniques the active rules of an environment watch for, and which of them raised alerts."
      />
      <Suspense
        fallback={
          <div className="panel">
            <LoadingState label="Loading the matrix…" />
          </div>
        }
      >
        <AttackMatrix
          environments={context.environments}
          defaultEnvironment={context.environment?.name ?? context.environments[0]?.name ?? null}
          // The catalogue is data from the engine, handed over so the browser bundle need not load it.
          tactics={ATTACK_TACTICS.map((t) => ({ id: t.id, name: t.name }))}
          techniques={ATTACK_TECHNIQUES.map((t) => ({
            id: t.id,
            name: t.name,
            tactics: [...t.tactics],
            parent: t.parent,
          }))}
        />
      </Suspense>
    </>
  );
}
