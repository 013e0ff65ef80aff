import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './env.js';

const shipEnv = { PEREGRINE_COLLECTOR_URL: 'http://127.0.0.1:4000', PEREGRINE_SENSOR_KEY: 'k' };

describe('loadConfig', () => {
  it('reads the environment with defaults, and flags override it', () => {
    const config = loadConfig(['--backend', 'procfs', '--sensor-id', 'n1'], {
      ...shipEnv,
      PEREGRINE_BATCH_SIZE: '500',
    });
    expect(config).toMatchObject({
      mode: 'ship',
      backend: 'procfs',
      sensorId: 'n1',
      batchSize: 500,
      queueSize: 100_000,
      collectorUrl: 'http://127.0.0.1:4000',
    });
  });

  it('switches to standalone mode with -r and -M', () => {
    expect(loadConfig(['-r', 'a.yaml', '-r', 'b.yaml', '-M', '45', '--json'], {})).toMatchObject({
      mode: 'standalone',
      rulesFiles: ['a.yaml', 'b.yaml'],
      durationSeconds: 45,
      jsonOutput: true,
    });
  });

  it('refuses missing collector settings, bad values and unknown flags with a coded error', () => {
    expect(() => loadConfig([], {})).toThrow(ConfigError);
    expect(() => loadConfig([], { ...shipEnv, PEREGRINE_RING_PAGES: '1000' })).toThrow(/power of two/);
    expect(() => loadConfig(['--backend', 'kmod'], shipEnv)).toThrow(ConfigError);
    expect(() => loadConfig(['--nope'], shipEnv)).toThrow(ConfigError);
    expect(loadConfig(['-h'], {})).toBe('help');
  });
});
