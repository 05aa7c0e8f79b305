#!/usr/bin/env node
// Runs the compiled lab rack (npm install builds dist/ through the prepare script).
import '../dist/lab-rack/bin.js';
