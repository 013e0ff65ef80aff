export * from './sensor-api.js';
export * from './sensor-event.js';
export * from './sensor-batch-v2.js';
export * from './realtime.js';
export * from './realtime-token.js';
export * from './source-test-token.js';
export * from './source-test-event.js';
export * from './backtest.js';
