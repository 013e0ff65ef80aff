import { createTRPCRouter } from '../../trpc';
import { createSource } from './create-source';
import { deleteSource } from './delete-source';
import { listSources } from './list-sources';
import { rotateSourceCredential } from './rotate-source-credential';
import { sendSourceTestEvent } from './send-test-event';
import { updateSource } from './update-source';

/** Cloud sources (webhooks, pollers, Falco http_output). */
export const sourcesRouter = createTRPCRouter({
  list: listSources,
  create: createSource,
  update: updateSource,
  rotateCredential: rotateSourceCredential,
  delete: deleteSource,
  sendTestEvent: sendSourceTestEvent,
});
