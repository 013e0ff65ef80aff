import 'server-only';
import { type AlertDetail, getAlertDetail, getRelatedAlerts, type RelatedAlerts } from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';

/** One alert with everything the detail view shows; NOT_FOUND outside the caller's organisation. */
export async function getAlert(input: {
  organizationId: string;
  id: string;
}): Promise<{ alert: AlertDetail; related: RelatedAlerts }> {
  const [alert, related] = await Promise.all([
    getAlertDetail(db(), input.organizationId, input.id),
    getRelatedAlerts(db(), input.organizationId, input.id),
  ]);
  if (!alert || !related) throw new AppError('NOT_FOUND', `Alert ${input.id} does not exist.`);
  return { alert, related };
}
