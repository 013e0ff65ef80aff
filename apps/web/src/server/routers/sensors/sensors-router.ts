import { createTRPCRouter } from '../../trpc';
import { getCaptureCoverage } from './get-capture-coverage';
import { listSensorRecordings } from './list-sensor-recordings';
import { listSensors } from './list-sensors';
import { registerSensor } from './register-sensor';
import { requestSensorRecording } from './request-sensor-recording';
import { revokeSensor } from './revoke-sensor';
import { sendSensorTestEvent } from './send-sensor-test-event';

/** Host sensors. */
export const sensorsRouter = createTRPCRouter({
  list: listSensors,
  getCoverage: getCaptureCoverage,
  register: registerSensor,
  revoke: revokeSensor,
  sendTestEvent: sendSensorTestEvent,
  listRecordings: listSensorRecordings,
  requestRecording: requestSensorRecording,
});
