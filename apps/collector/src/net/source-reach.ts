import type { Env } from '../env.js';
import { createOutboundPolicy, type OutboundPolicy } from '@peregrine/outbound';

/**
 * What tenant-configured sources may reach on the operator's behalf: network destinations (the
 * outbound policy), local folders (CloudTrail folder mode) and the collector's own AWS identity.
 * Built once per collector from its settings; tests build theirs from the same settings.
 */
export interface SourceReach {
  outbound: OutboundPolicy;
  /** `COLLECTOR_FOLDER_ROOTS`: absolute folders a folder source may lie under (none: no folder source). */
  folderRoots: readonly string[];
  /** `COLLECTOR_AMBIENT_AWS_CREDENTIALS`: S3 sources without keys may use the collector's credentials. */
  ambientAwsCredentials: boolean;
}

export function sourceReachFromEnv(
  env: Pick<Env, 'COLLECTOR_OUTBOUND_ALLOW' | 'COLLECTOR_FOLDER_ROOTS' | 'COLLECTOR_AMBIENT_AWS_CREDENTIALS'>,
): SourceReach {
  return {
    outbound: createOutboundPolicy({ allow: env.COLLECTOR_OUTBOUND_ALLOW }),
    folderRoots: env.COLLECTOR_FOLDER_ROOTS,
    ambientAwsCredentials: env.COLLECTOR_AMBIENT_AWS_CREDENTIALS,
  };
}
