#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';

// Memory (bench/memory.ts). V8 sizes its heaps for throughput on a large machine: after each full
// collection it lets the old generation grow to as much as 4 × what survived it, and `herald serve`
// runs two isolates (the API, and the dispatcher thread) whose live heaps are only 15–25 MiB each.
// With V8's defaults, 100,000 pending deliveries took 240 MiB of RSS; the target is 150. So:
// - each isolate's old generation grows to 1.5 × what was live. Full collections come more often,
//   but they are short: there is little live to mark;
// - WebAssembly stays on V8's baseline compiler (Liftoff). Herald's one module is undici's HTTP
//   parser; optimizing it took about 35 MiB for a moment, the highest point of the RSS.
// V8 reads both whenever it needs them, in every isolate, so setting them before anything runs is
// enough. The young generation is not: the main thread's is sized when the process starts, so
// `--max-semi-space-size=4` has to be given to node itself (node's command line or NODE_OPTIONS).
setFlagsFromString('--heap-growing-percent=50');
setFlagsFromString('--liftoff-only');

await import('../dist/cli/main.js');
