// Preloaded with NODE_OPTIONS=--require by tests that need a slow agent start (a loaded machine): an agent process
// (AGENT_ID set, not --cleanup) blocks for SLOW_AGENT_START_MS before it runs. Nothing else is touched.
const ms = Number(process.env.SLOW_AGENT_START_MS || 0);
if (ms > 0 && process.env.AGENT_ID && !process.argv.includes('--cleanup')) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
