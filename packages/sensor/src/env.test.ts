import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseDuration, parseSize } from './env.js';

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
      sendAttempts: 5,
      collectorUrl: 'http://127.0.0.1:4000',
    });
  });

  it('takes the attempts to send a batch before the spool, from 1 to 20', () => {
    expect(loadConfig([], { ...shipEnv, PEREGRINE_SEND_ATTEMPTS: '2' })).toMatchObject({ sendAttempts: 2 });
    for (const bad of ['0', '21', '1.5', 'x'])
      expect(() => loadConfig([], { ...shipEnv, PEREGRINE_SEND_ATTEMPTS: bad })).toThrow(
        /PEREGRINE_SEND_ATTEMPTS/,
      );
  });

  it('switches to standalone mode with -r and -M', () => {
    expect(loadConfig(['-r', 'a.yaml', '-r', 'b.yaml', '-M', '45', '--json'], {})).toMatchObject({
      mode: 'standalone',
      rulesFiles: ['a.yaml', 'b.yaml'],
      durationSeconds: 45,
      jsonOutput: true,
    });
  });

  it("appends to outputs with -p, Falco's -pc being the container's id and name", () => {
    expect(loadConfig(['-r', 'a.yaml', '-pc'], {}).valueOf()).toMatchObject({
      printFormat: 'container_id=%container.id container_name=%container.name',
    });
    expect(loadConfig(['-r', 'a.yaml', '-p', 'pod=%k8s.pod.name'], {})).toMatchObject({
      printFormat: 'pod=%k8s.pod.name',
    });
    expect(loadConfig(['-r', 'a.yaml'], {})).not.toHaveProperty('printFormat');
  });

  it('refuses missing collector settings, bad values and unknown flags with a coded error', () => {
    expect(() => loadConfig([], {})).toThrow(ConfigError);
    expect(() => loadConfig([], { ...shipEnv, PEREGRINE_RING_PAGES: '1000' })).toThrow(/power of two/);
    expect(() => loadConfig(['--backend', 'kmod'], shipEnv)).toThrow(ConfigError);
    expect(() => loadConfig(['--nope'], shipEnv)).toThrow(ConfigError);
    expect(loadConfig(['-h'], {})).toBe('help');
  });

  it('writes a capture with -w: capture-only without a collector, beside shipping or rules otherwise', () => {
    expect(loadConfig(['-w', '/tmp/x.scap.gz', '-M', '60s', '--max-size', '64M'], {})).toMatchObject({
      mode: 'capture',
      writeFile: '/tmp/x.scap.gz',
      durationSeconds: 60,
      maxCaptureBytes: 64 * 1024 * 1024,
    });
    expect(loadConfig(['-w', 'x.scap'], shipEnv)).toMatchObject({ mode: 'ship', writeFile: 'x.scap' });
    expect(loadConfig(['-w', 'x.scap', '-r', 'a.yaml'], {})).toMatchObject({ mode: 'standalone' });
    expect(() => loadConfig(['--max-size', '1M'], {})).toThrow(/give -w FILE/);
    expect(() => loadConfig(['-w', 'x.scap', '--max-size', 'lots'], {})).toThrow(/--max-size needs a size/);
    expect(() => loadConfig(['-w', 'x.scap', '-M', 'soon'], {})).toThrow(/-M\/--duration needs a time/);
    expect(() => loadConfig(['-w', ' '], {})).toThrow(/-w needs a file name/);
  });

  it('reads durations and sizes as people write them', () => {
    expect([parseDuration('45'), parseDuration('60s'), parseDuration('1.5m'), parseDuration('2h')]).toEqual([
      45, 60, 90, 7200,
    ]);
    expect(parseDuration('-1')).toBeUndefined();
    expect([
      parseSize('1048576'),
      parseSize('500K'),
      parseSize('64M'),
      parseSize('1GiB'),
      parseSize('2mb'),
    ]).toEqual([1048576, 500 * 1024, 64 * 1024 ** 2, 1024 ** 3, 2 * 1024 ** 2]);
    expect(parseSize('0')).toBeUndefined();
    expect(parseSize('1T')).toBeUndefined();
  });
});
