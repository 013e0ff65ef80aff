'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { AdminPanel, AdminTable } from '@/features/admin/admin-panel';
import styles from '@/features/admin/admin.module.css';
import { ConfirmButton, ErrorBanner, TimeAgo } from '@/features/admin/admin-ui';
import type { RouterOutputs } from '@/features/members/router-types';
import { useTRPC } from '@/trpc/client';
import { ChannelForm, KIND_SHORT } from './channel-form';
import own from './notifications.module.css';
import { describeFilter, RouteForm, type RouteSettings } from './route-form';
import { describeDelivery } from './schedule-fields';

type Channel = RouterOutputs['notifications']['listChannels'][number];
type Route = RouterOutputs['notifications']['listRoutes'][number];
type Delivery = RouterOutputs['notifications']['listDeliveries'][number];
type Environment = RouterOutputs['environment']['list'][number];

const STATUS_CLASS: Record<Delivery['status'], string> = {
  queued: 'badge',
  sending: `badge ${own.sending}`,
  delivered: `badge ${own.delivered}`,
  dead: `badge ${own.dead}`,
};

/** What a delivery is about, in the log's words. */
function deliveryWhat(d: Delivery): string {
  if (d.action === 'trigger') return d.rule ?? 'alert';
  if (d.action === 'deferred') return `${d.rule ?? 'alert'} (held through quiet hours)`;
  if (d.action === 'resolve') return `resolve ${d.rule ?? ''}`.trim();
  if (d.action === 'held') return 'digest (quiet hours)';
  return d.action;
}

/** Channels, routes and the delivery log of the organisation's notifications. */
export function NotificationsPanel({
  initialChannels,
  initialRoutes,
  initialDeliveries,
  environments,
}: {
  initialChannels: Channel[];
  initialRoutes: Route[];
  initialDeliveries: Delivery[];
  environments: Environment[];
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const channels = useQuery({
    ...trpc.notifications.listChannels.queryOptions(),
    initialData: initialChannels,
  });
  const routes = useQuery({ ...trpc.notifications.listRoutes.queryOptions(), initialData: initialRoutes });
  const [onlyDead, setOnlyDead] = useState(false);
  const [deliveryKind, setDeliveryKind] = useState<'' | 'alert' | 'digest'>('');
  const [deliveryRoute, setDeliveryRoute] = useState('');
  const filtered = onlyDead || deliveryKind !== '' || deliveryRoute !== '';
  const deliveryInput = {
    limit: 50,
    ...(onlyDead ? { status: 'dead' as const } : {}),
    ...(deliveryKind ? { kind: deliveryKind } : {}),
    ...(deliveryRoute ? { routeId: deliveryRoute } : {}),
  };
  const deliveries = useQuery({
    ...trpc.notifications.listDeliveries.queryOptions(deliveryInput),
    ...(filtered ? {} : { initialData: initialDeliveries }),
    refetchInterval: 3000,
  });
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries(trpc.notifications.listChannels.queryFilter()),
      queryClient.invalidateQueries(trpc.notifications.listRoutes.queryFilter()),
      queryClient.invalidateQueries(trpc.notifications.listDeliveries.queryFilter()),
    ]);
  const createChannel = useMutation(trpc.notifications.createChannel.mutationOptions({ onSettled: refresh }));
  const updateChannel = useMutation(trpc.notifications.updateChannel.mutationOptions({ onSettled: refresh }));
  const deleteChannel = useMutation(trpc.notifications.deleteChannel.mutationOptions({ onSettled: refresh }));
  const sendTest = useMutation(trpc.notifications.sendTest.mutationOptions({ onSettled: refresh }));
  const createRoute = useMutation(trpc.notifications.createRoute.mutationOptions({ onSettled: refresh }));
  const updateRoute = useMutation(trpc.notifications.updateRoute.mutationOptions({ onSettled: refresh }));
  const moveRoute = useMutation(trpc.notifications.moveRoute.mutationOptions({ onSettled: refresh }));
  const deleteRoute = useMutation(trpc.notifications.deleteRoute.mutationOptions({ onSettled: refresh }));
  const retry = useMutation(trpc.notifications.retryDelivery.mutationOptions({ onSettled: refresh }));
  const [editingChannel, setEditingChannel] = useState<string | null>(null);
  const [editingRoute, setEditingRoute] = useState<string | null>(null);
  const [addingChannel, setAddingChannel] = useState(initialChannels.length === 0);
  const [addingRoute, setAddingRoute] = useState(false);
  const preview = (routeId: string | null) => (settings: RouteSettings) =>
    queryClient.fetchQuery({
      ...trpc.notifications.previewRoute.queryOptions({ routeId, settings }),
      staleTime: 0,
    });
  const channelName = (id: string) => channels.data.find((c) => c.id === id)?.name ?? 'deleted channel';

  return (
    <div className={styles.stack}>
      <AdminPanel
        id="channels"
        title="Channels"
        hint="Where notifications go; every request passes the collector's outbound policy"
        action={
          addingChannel ? null : (
            <button type="button" className="button" onClick={() => setAddingChannel(true)}>
              Add channel
            </button>
          )
        }
      >
        {addingChannel ? (
          <ChannelForm
            busy={createChannel.isPending}
            onCancel={channels.data.length ? () => setAddingChannel(false) : undefined}
            onSubmit={async ({ name, settings }) => {
              await createChannel.mutateAsync({ name, settings });
              setAddingChannel(false);
            }}
          />
        ) : null}
        <ErrorBanner
          error={createChannel.error ?? updateChannel.error ?? deleteChannel.error ?? sendTest.error}
        />
        <AdminTable
          testId="channels-table"
          rows={channels.data}
          empty="No channels yet."
          rowKey={(c) => c.id}
          rowTestId={(c) => `channel-${c.name}`}
          rowClassName={(c) => (c.enabled ? undefined : styles.muted)}
          columns={[
            { header: 'Name', cell: (c) => c.name },
            {
              header: 'Kind',
              cell: (c) => (
                <span className="badge" style={{ textTransform: 'none' }}>
                  {KIND_SHORT[c.kind]}
                </span>
              ),
            },
            {
              header: 'Target',
              className: `muted ${styles.mono}`,
              style: { whiteSpace: 'normal', wordBreak: 'break-all' },
              cell: (c) =>
                typeof c.config.url === 'string'
                  ? c.config.url
                  : Array.isArray(c.config.to)
                    ? `${c.config.host as string} → ${(c.config.to as string[]).join(', ')}`
                    : ((c.config.channel as string | undefined) ?? ''),
            },
            {
              header: 'Secrets',
              className: 'muted',
              cell: (c) =>
                c.secretNames === null ? (
                  <span className={styles.warn}>unreadable with this key</span>
                ) : c.secretNames.length ? (
                  `${c.secretNames.join(', ')} set`
                ) : (
                  '—'
                ),
            },
            { header: 'Enabled', cell: (c) => (c.enabled ? 'yes' : 'no') },
          ]}
          actions={(c) => (
            <>
              <button
                type="button"
                className="button"
                disabled={sendTest.isPending}
                onClick={() => sendTest.mutate({ channelId: c.id })}
              >
                Send test
              </button>
              <button
                type="button"
                className="button button-ghost"
                onClick={() => setEditingChannel(editingChannel === c.id ? null : c.id)}
              >
                Edit
              </button>
              <button
                type="button"
                className="button button-ghost"
                onClick={() => updateChannel.mutate({ channelId: c.id, enabled: !c.enabled })}
              >
                {c.enabled ? 'Disable' : 'Enable'}
              </button>
              <ConfirmButton
                label="Delete"
                confirmLabel="Delete channel"
                onConfirm={() => deleteChannel.mutate({ channelId: c.id })}
              />
            </>
          )}
          detail={(c) =>
            editingChannel === c.id ? (
              <ChannelForm
                channel={c}
                busy={updateChannel.isPending}
                onCancel={() => setEditingChannel(null)}
                onSubmit={async ({ name, settings }) => {
                  await updateChannel.mutateAsync({ channelId: c.id, name, settings });
                  setEditingChannel(null);
                }}
              />
            ) : null
          }
        />
        {sendTest.data ? (
          <p className={styles.note} role="status">
            Test notification queued: its delivery shows in the log below within a few seconds.
          </p>
        ) : null}
      </AdminPanel>

      <AdminPanel
        id="routes"
        title="Routes"
        hint="Matched in order; the first match sends (unless it continues)"
        action={
          addingRoute ? null : (
            <button
              type="button"
              className="button"
              disabled={channels.data.length === 0}
              onClick={() => setAddingRoute(true)}
            >
              Add route
            </button>
          )
        }
      >
        {addingRoute ? (
          <RouteForm
            channels={channels.data}
            environments={environments}
            busy={createRoute.isPending}
            onPreview={preview(null)}
            onCancel={() => setAddingRoute(false)}
            onSubmit={async (settings) => {
              await createRoute.mutateAsync(settings);
              setAddingRoute(false);
            }}
          />
        ) : null}
        <ErrorBanner error={createRoute.error ?? updateRoute.error ?? moveRoute.error ?? deleteRoute.error} />
        <AdminTable
          testId="routes-table"
          rows={routes.data}
          empty="No routes: alerts notify no one."
          rowKey={(r) => r.id}
          rowTestId={(r) => `route-${r.name}`}
          rowClassName={(r) => (r.enabled ? undefined : styles.muted)}
          columns={[
            { header: '#', className: 'muted', cell: (r) => r.position + 1 },
            { header: 'Name', cell: (r) => r.name },
            {
              header: 'When',
              className: styles.mono,
              style: { whiteSpace: 'normal' },
              cell: (r) => describeFilter(r, environments),
            },
            { header: 'Channels', cell: (r) => r.channelIds.map(channelName).join(', ') || '—' },
            {
              header: 'Delivery',
              className: 'muted',
              style: { whiteSpace: 'normal' },
              cell: (r) => describeDelivery(r),
            },
            { header: 'Then', className: 'muted', cell: (r) => (r.continue ? 'continue' : 'stop') },
          ]}
          actions={(r) => (
            <>
              <button
                type="button"
                className="button button-ghost"
                aria-label={`Move ${r.name} up`}
                onClick={() => moveRoute.mutate({ routeId: r.id, direction: 'up' })}
              >
                ↑
              </button>
              <button
                type="button"
                className="button button-ghost"
                aria-label={`Move ${r.name} down`}
                onClick={() => moveRoute.mutate({ routeId: r.id, direction: 'down' })}
              >
                ↓
              </button>
              <button
                type="button"
                className="button button-ghost"
                onClick={() => setEditingRoute(editingRoute === r.id ? null : r.id)}
              >
                Edit
              </button>
              <ConfirmButton
                label="Delete"
                confirmLabel="Delete route"
                onConfirm={() => deleteRoute.mutate({ routeId: r.id })}
              />
            </>
          )}
          detail={(r) =>
            editingRoute === r.id ? (
              <RouteForm
                route={r}
                channels={channels.data}
                environments={environments}
                busy={updateRoute.isPending}
                onPreview={preview(r.id)}
                onCancel={() => setEditingRoute(null)}
                onSubmit={async (settings) => {
                  await updateRoute.mutateAsync({ routeId: r.id, settings });
                  setEditingRoute(null);
                }}
              />
            ) : null
          }
        />
      </AdminPanel>

      <AdminPanel
        id="deliveries"
        title="Deliveries"
        hint="Owed when the alert is stored; retried with backoff; dead after the last attempt"
        action={
          <div style={{ display: 'flex', flexWrap: 'wrap', gap: 12, alignItems: 'center' }}>
            <label style={{ display: 'flex', gap: 6, alignItems: 'center' }}>
              Kind
              <select
                aria-label="Kind of delivery"
                value={deliveryKind}
                onChange={(e) => setDeliveryKind(e.target.value as typeof deliveryKind)}
              >
                <option value="">all</option>
                <option value="alert">alerts</option>
                <option value="digest">digests</option>
              </select>
            </label>
            <label style={{ display: 'flex', gap: 6, alignItems: 'center' }}>
              Route
              <select
                aria-label="Route of delivery"
                value={deliveryRoute}
                onChange={(e) => setDeliveryRoute(e.target.value)}
              >
                <option value="">all</option>
                {routes.data.map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.name}
                  </option>
                ))}
              </select>
            </label>
            <label style={{ display: 'flex', gap: 6, alignItems: 'center' }}>
              <input type="checkbox" checked={onlyDead} onChange={(e) => setOnlyDead(e.target.checked)} />
              Dead letters only
            </label>
          </div>
        }
      >
        <ErrorBanner error={retry.error ?? deliveries.error} />
        <AdminTable
          testId="deliveries-table"
          rows={deliveries.data ?? []}
          empty={onlyDead ? 'No dead letters.' : filtered ? 'No delivery matches.' : 'Nothing sent yet.'}
          rowKey={(d) => d.id}
          rowTestId={(d) => `delivery-${d.id}`}
          columns={[
            { header: 'Owed', className: 'muted', cell: (d) => <TimeAgo iso={d.createdAt} /> },
            { header: 'Channel', cell: (d) => d.channelName ?? 'deleted' },
            { header: 'What', cell: (d) => deliveryWhat(d) },
            { header: 'Route', className: 'muted', cell: (d) => d.routeName ?? '' },
            {
              header: 'Alerts',
              className: 'muted',
              title: 'Alerts of the group in the window (folded in)',
              cell: (d) => d.count,
            },
            { header: 'Status', cell: (d) => <span className={STATUS_CLASS[d.status]}>{d.status}</span> },
            { header: 'Attempts', className: 'muted', cell: (d) => d.attempts },
            {
              header: 'Result',
              className: styles.mono,
              style: { whiteSpace: 'normal', maxWidth: 420 },
              cell: (d) =>
                d.lastError ? (
                  <span className={styles.danger}>{d.lastError}</span>
                ) : d.deliveredAt ? (
                  <>
                    delivered <TimeAgo iso={d.deliveredAt} />
                  </>
                ) : (
                  ''
                ),
            },
          ]}
          actions={(d) =>
            d.status === 'dead' ? (
              <button
                type="button"
                className="button"
                disabled={retry.isPending}
                onClick={() => retry.mutate({ deliveryId: d.id })}
              >
                Retry
              </button>
            ) : null
          }
        />
      </AdminPanel>
    </div>
  );
}
