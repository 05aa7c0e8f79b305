#!/usr/bin/env node
// Runs the compiled command (npm install builds dist/ through the prepare script).
import '../dist/electron/cli/bin.js';
