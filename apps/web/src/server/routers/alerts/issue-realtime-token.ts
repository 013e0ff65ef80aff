import { issueRealtimeToken as issueRealtimeTokenService } from '../../services/alerts/issue-realtime-token';
import { orgActorProcedure } from '../../trpc';
import { issueRealtimeTokenInput, issueRealtimeTokenOutput } from './issue-realtime-token.schema';

/** A short-lived token for the collector's live alert stream. A mutation: it mints a credential. */
export const issueRealtimeToken = orgActorProcedure('viewer')
  .input(issueRealtimeTokenInput)
  .output(issueRealtimeTokenOutput)
  .mutation(({ ctx, input }) =>
    issueRealtimeTokenService({
      organizationId: ctx.org.id,
      subject: ctx.actor.userId ?? `api_key:${ctx.actor.apiKeyId}`,
      apiKeyId: ctx.actor.apiKeyId,
      environment: input.environment,
    }),
  );
