import { createTRPCRouter } from '../../trpc';
import { listSensors } from './list-sensors';
import { registerSensor } from './register-sensor';
import { revokeSensor } from './revoke-sensor';

/** Host sensors. */
export const sensorsRouter = createTRPCRouter({
  list: listSensors,
  register: registerSensor,
  revoke: revokeSensor,
});
