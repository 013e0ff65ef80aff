// The sensor `npm start` runs on this host, registered to the demo organisation's staging
// environment, so a new user sees alerts about their own machine within a minute.
import { chmod, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findSensorByKey, registerSensor } from '@peregrine/db';
import { DATA_DIR } from './runtime.mjs';

const KEY_FILE = () => path.join(DATA_DIR, 'local-sensor.json');

/**
 * The local sensor's key: the saved one while it is still valid (not revoked in the console),
 * else a newly registered sensor in `environmentId`. Saved 0600 under the data folder.
 */
export async function localSensorKey(db, environmentId) {
  try {
    const saved = JSON.parse(await readFile(KEY_FILE(), 'utf8'));
    if (saved.apiKey && (await findSensorByKey(db, saved.apiKey))) return saved;
  } catch (err) {
    if (err.code !== 'ENOENT' && !(err instanceof SyntaxError)) throw err;
  }
  const base = `local-${os.hostname()}`;
  for (let i = 1; ; i++) {
    try {
      const sensor = await registerSensor(db, { environmentId, name: i === 1 ? base : `${base}-${i}` });
      const saved = { sensorId: sensor.sensorId, name: sensor.name, apiKey: sensor.apiKey };
      await writeFile(KEY_FILE(), `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
      await chmod(KEY_FILE(), 0o600);
      return saved;
    } catch (err) {
      // A sensor of that name exists (its key file was lost or it was revoked): take the next name.
      if (err.code !== 'CONFLICT') throw err;
    }
  }
}
