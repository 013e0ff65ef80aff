import 'server-only';
import { type AlertIncidentDto, listAlertIncidents as listAlertIncidentRows } from '@peregrine/db';
import { db } from '../../db';

/** The organisation's incidents holding one of its alerts (none for another organisation's alert). */
export async function listAlertIncidents(input: {
  organizationId: string;
  alertId: string;
}): Promise<AlertIncidentDto[]> {
  return listAlertIncidentRows(db(), input);
}
