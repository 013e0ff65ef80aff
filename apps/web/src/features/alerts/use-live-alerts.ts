'use client';

import { AlertsNewPayloadSchema, REALTIME_EVENTS, type RealtimeAlert } from '@peregrine/protocol';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { io } from 'socket.io-client';
import { errorData, useTRPC } from '@/trpc/client';

/** `disabled`: the server has no collector configured; `offline`: configured but unreachable. */
export type LiveStatus = 'connecting' | 'live' | 'offline' | 'disabled';

/**
 * Subscribes to the collector's live alert stream for the current organisation and environment
 * (or all of them). Each (re)connection asks the console for a fresh short-lived token, so a
 * token expiring (the collector then drops the socket) only costs a reconnect.
 */
export function useLiveAlerts(
  environment: string | null,
  onAlerts: (alerts: RealtimeAlert[], environmentId: string) => void,
): LiveStatus {
  const trpc = useTRPC();
  const issue = useMutation(trpc.alerts.realtimeToken.mutationOptions());
  const issueRef = useRef(issue.mutateAsync);
  issueRef.current = issue.mutateAsync;
  const handler = useRef(onAlerts);
  handler.current = onAlerts;
  const [status, setStatus] = useState<LiveStatus>('connecting');

  useEffect(() => {
    let cancelled = false;
    let socket: ReturnType<typeof io> | null = null;
    setStatus('connecting');
    (async () => {
      let first: Awaited<ReturnType<typeof issueRef.current>>;
      try {
        first = await issueRef.current({ environment });
      } catch (error) {
        if (!cancelled) setStatus(errorData(error)?.appCode === 'UNAVAILABLE' ? 'disabled' : 'offline');
        return;
      }
      if (cancelled) return;
      let pending: string | null = first.token;
      // A collector behind a gateway has a path (`https://gw.example.com/collector`): socket.io reads
      // a URL's path as its namespace, so the path goes into its endpoint instead.
      const collector = new URL(first.url);
      socket = io(collector.origin, {
        path: `${collector.pathname.replace(/\/+$/, '')}/socket.io`,
        transports: ['websocket', 'polling'],
        reconnectionDelayMax: 10_000,
        // Called before every connection attempt: reuse the first token once, then mint new ones.
        auth: (cb) => {
          if (pending) {
            const token = pending;
            pending = null;
            cb({ token });
            return;
          }
          issueRef
            .current({ environment })
            .then((t) => cb({ token: t.token }))
            .catch(() => cb({ token: '' }));
        },
      });
      socket.on(REALTIME_EVENTS.ready, () => setStatus('live'));
      socket.on('connect_error', () => setStatus('offline'));
      socket.on('disconnect', (reason) => {
        setStatus('offline');
        // The collector cuts sockets whose token expired; socket.io does not retry those itself.
        if (reason === 'io server disconnect') socket?.connect();
      });
      socket.on(REALTIME_EVENTS.alertsNew, (raw: unknown) => {
        const parsed = AlertsNewPayloadSchema.safeParse(raw);
        if (parsed.success) handler.current(parsed.data.alerts, parsed.data.environmentId);
      });
    })();
    return () => {
      cancelled = true;
      socket?.disconnect();
    };
  }, [environment]);

  return status;
}
