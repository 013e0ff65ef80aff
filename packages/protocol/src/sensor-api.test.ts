import { describe, expect, it } from 'vitest';
import {
  SENSOR_API_PATHS,
  SensorConfigSchema,
  SensorEventBatchResponseSchema,
  SensorEventBatchSchema,
  SensorHeartbeatResponseSchema,
  SensorHeartbeatSchema,
  SensorRecordingCompleteSchema,
} from './sensor-api.js';
import { exampleHeartbeat } from './testing.js';

describe('sensor API schemas', () => {
  it('names the endpoints', () => {
    expect(SENSOR_API_PATHS).toEqual({
      events: '/v1/sensor/events',
      heartbeat: '/v1/sensor/heartbeat',
      config: '/v1/sensor/config',
      recordingChunk: '/v1/sensor/recordings/:id/chunks/:offset',
      recordingComplete: '/v1/sensor/recordings/:id/complete',
      recordingFail: '/v1/sensor/recordings/:id/fail',
    });
  });

  it('carries a recording order in the heartbeat answer, bounded, and its completion with a SHA-256', () => {
    const id = '0b3c4c6e-8a7e-4f55-9a59-3f1f0cf3a2b1';
    expect(
      SensorHeartbeatResponseSchema.parse({ ok: true, recording: { id, seconds: 60, maxBytes: 1024 } })
        .recording,
    ).toEqual({ id, seconds: 60, maxBytes: 1024 });
    // An answer without one (older collectors) is still an answer.
    expect(SensorHeartbeatResponseSchema.parse({ ok: true }).recording).toBeUndefined();
    expect(
      SensorHeartbeatResponseSchema.safeParse({ ok: true, recording: { id, seconds: 601, maxBytes: 1024 } })
        .success,
    ).toBe(false);
    const complete = { bytes: 3, sha256: 'a'.repeat(64), events: 1, dropped: 0, captureBytes: 9 };
    expect(SensorRecordingCompleteSchema.safeParse(complete).success).toBe(true);
    expect(SensorRecordingCompleteSchema.safeParse({ ...complete, sha256: 'A'.repeat(64) }).success).toBe(
      false,
    );
  });

  it('validates a batch and its acknowledgement', () => {
    const batch = {
      sensorId: 's-1',
      batchId: 's-1-00000001',
      seq: 1,
      events: [{ ts: '1', type: 'procexit', dir: '<', args: [], proc: { pid: 9, name: 'sh' } }],
    };
    expect(SensorEventBatchSchema.parse(batch).events).toHaveLength(1);
    expect(SensorEventBatchSchema.safeParse({ ...batch, batchId: '' }).success).toBe(false);
    expect(
      SensorEventBatchResponseSchema.parse({
        accepted: 1,
        duplicate: false,
        rejected: [{ index: 0, error: 'x' }],
      }).rejected[0]?.index,
    ).toBe(0);
  });

  it('reads an acknowledgement with or without the later `sanitized` count', () => {
    const ack = { accepted: 2, duplicate: false, rejected: [], sanitized: 1 };
    expect(SensorEventBatchResponseSchema.parse(ack).sanitized).toBe(1);
    expect(SensorEventBatchResponseSchema.parse({ ...ack, sanitized: undefined }).sanitized).toBeUndefined();
    // A sensor built before the field existed parses the new answer (the unknown key is dropped).
    const before = SensorEventBatchResponseSchema.omit({ sanitized: true });
    expect(before.parse(ack)).toEqual({ accepted: 2, duplicate: false, rejected: [] });
  });

  it('requires every drop cause in a heartbeat', () => {
    const heartbeat = exampleHeartbeat({
      sentAt: new Date(1000).toISOString(),
      rates: { captured: 10, shipped: 9, filtered: 1 },
      totals: { captured: 100, shipped: 90, filtered: 10 },
    });
    expect(SensorHeartbeatSchema.parse(heartbeat).backend).toBe('ebpf');
    expect(SensorHeartbeatSchema.safeParse({ ...heartbeat, drops: { kernel: 0 } }).success).toBe(false);
  });

  it('treats null eventTypes as all types', () => {
    expect(SensorConfigSchema.parse({ rulesVersion: 'v1', eventTypes: null }).eventTypes).toBeNull();
    expect(SensorConfigSchema.parse({ rulesVersion: 'v1', eventTypes: ['execve'] }).eventTypes).toEqual([
      'execve',
    ]);
  });
});
