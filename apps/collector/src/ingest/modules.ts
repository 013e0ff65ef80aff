import type { IngestModule } from './register.js';
import { cloudTrailIngest } from './cloudtrail.js';
import { falcoIngest } from './falco.js';
import { githubIngest } from './github.js';
import { k8sAuditIngest } from './k8s-audit.js';
import { oktaIngest } from './okta.js';
import { sensorIngest } from './sensor.js';
import { testEventIngest } from './test-events.js';

/**
 * Every ingest module the collector runs, in registration order. Cloud-source modules
 * (src/ingest/{k8s-audit,github,okta,cloudtrail,falco}*) add one import and one entry each here.
 * A catch-all route (falcosidekick's `/`) must stay last.
 */
export const INGEST_MODULES: readonly IngestModule[] = [
  sensorIngest,
  k8sAuditIngest(),
  githubIngest(),
  oktaIngest(),
  cloudTrailIngest(),
  // The console's "Send test event" for each of the sources above.
  testEventIngest(),
  falcoIngest(),
];
