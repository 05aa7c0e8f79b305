#!/usr/bin/env -S node --max-semi-space-size=2 --heap-growing-percent=30
// The flags are the engine's heap settings (electron/repository/heap.ts, ENGINE_V8_FLAGS; a test
// keeps them equal): a semi-space size can only be given when node starts.
// Runs the compiled command (npm install builds dist/ through the prepare script).
import '../dist/electron/cli/bin.js';
