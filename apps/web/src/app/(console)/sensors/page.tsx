import type { Metadata } from 'next';
import { CaptureBanner } from '@/features/sensors/capture-banner';
import { PageHeader } from '@/features/shell/page-header';
import { SensorsPanel } from '@/features/sensors/sensors-panel';
import { SourcesPanel } from '@/features/sources/sources-panel';
import { requireConsole } from '@/server/require-console';
import { sourceSecretKey } from '@/server/services/sources/source-settings';
import { getServerCaller } from '@/trpc/server';

export const metadata: Metadata = { title: 'Sensors & sources' };

export default async function SensorsPage() {
  const context = await requireConsole();
  const caller = await getServerCaller();
  const [sensors, sources, coverage] = await Promise.all([
    caller.sensors.list({}),
    caller.sources.list({}),
    caller.sensors.getCoverage({ environment: null }),
  ]);
  const canManage = context.role === 'admin';
  return (
    <>
      <PageHeader
        title="Sensors & sources"
        description="Host sensors and cloud sources sending events to the collector, and how healthy they are."
      />
      <CaptureBanner coverage={coverage} />
      <div style={{ display: 'grid', gap: 16, gridTemplateColumns: 'minmax(0, 1fr)', minWidth: 0 }}>
        <SensorsPanel
          initialSensors={sensors}
          environments={context.environments}
          defaultEnvironmentId={context.environment?.id ?? null}
          canManage={canManage}
        />
        <SourcesPanel
          initialSources={sources}
          environments={context.environments}
          defaultEnvironmentId={context.environment?.id ?? null}
          canManage={canManage}
          secretsAvailable={sourceSecretKey() !== null}
        />
      </div>
    </>
  );
}
