/**
 * The host's error codes: what the router and the console server refuse, and why.
 * Messages name methods, fields and headers, never the values sent (a value may be a secret).
 */
import { defineErrors } from '../../shared/errors.js';

export const IpcErrors = defineErrors({
  IPC_INVALID_REQUEST: {
    category: 'usage',
    hint: 'The window sent a message the contract does not allow. Reload the window; if it persists, report it with the field named.',
  },
  IPC_UNKNOWN_METHOD: {
    category: 'usage',
    hint: 'The window and the app are from different versions. Restart Lifeboat.',
  },
  IPC_INVALID_RESPONSE: {
    category: 'internal',
    hint: 'A service answered outside the contract, so the answer was withheld. Keep the log and report it; no data was changed by the refusal.',
  },
  IPC_BAD_ANSWER: {
    category: 'internal',
    hint: 'The app and its window are from different versions; restart Lifeboat.',
  },
  IPC_UNTRUSTED_SENDER: {
    category: 'refused',
    hint: 'Only Lifeboat’s own window may call the app. Close other content and restart Lifeboat.',
  },
  IPC_NOT_AVAILABLE: {
    category: 'refused',
    hint: 'This part of Lifeboat is not available in this build. Use the `lifeboat` command for it, or update Lifeboat.',
  },
  IPC_CONSOLE_BIND: {
    category: 'refused',
    hint: 'The browser console listens on 127.0.0.1 only, so no other machine can reach it. Use an SSH tunnel to reach it remotely.',
  },
  IPC_CONSOLE_TOKEN: {
    category: 'auth',
    hint: 'Open the console with the full address `npm start` printed (it ends with #token=…); each launch has a new token.',
  },
  IPC_CONSOLE_ORIGIN: {
    category: 'refused',
    hint: 'Requests from other web pages are refused. Open the console from the address `npm start` printed.',
  },
  IPC_CONSOLE_HOST: {
    category: 'refused',
    hint: 'Reach the console at http://127.0.0.1:PORT exactly as printed; other host names are refused.',
  },
  IPC_CONSOLE_REQUEST: {
    category: 'usage',
    hint: 'The console accepts POST /api/call with a JSON body, GET /api/events, and the app’s own files.',
  },
  IPC_CONSOLE_NOT_FOUND: {
    category: 'usage',
    hint: 'No such file in the app. Open the address `npm start` printed.',
  },
  IPC_RACK_UNREACHABLE: {
    category: 'rack',
    hint: 'Check the rack URL (https://host:port), that the rack is running, and that this machine can reach it.',
  },
  IPC_NO_RACK: {
    category: 'usage',
    hint: 'Give the rack’s URL, fingerprint and credentials; only `npm start` provides a default lab rack.',
  },
  IPC_RENDERER_MISSING: {
    category: 'internal',
    hint: 'The screens are not built. Run `npm run build` (npm install does it) and start again.',
  },
});
