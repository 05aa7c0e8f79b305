/**
 * Picks the transport: the Electron preload's `window.lifeboat` when it is there, else the
 * browser console bridge with the token from the page URL.
 */
import type { LifeboatBridge } from '../../../shared/contract/index.js';
import type { ErrorBody } from '../../../shared/errors.js';
import { UiErrors } from '../errors.js';
import { createClient, type LifeboatClient } from './client.js';
import { claimConsoleToken, createConsoleBridge } from './console.js';

declare global {
  interface Window {
    lifeboat?: LifeboatBridge;
  }
}

export type Connection = { ok: true; client: LifeboatClient } | { ok: false; error: ErrorBody };

export function connect(): Connection {
  if (window.lifeboat !== undefined) return { ok: true, client: createClient(window.lifeboat) };
  const token = claimConsoleToken();
  if (token === null) {
    return {
      ok: false,
      error: UiErrors.create(
        'UI_NO_TOKEN',
        'This page was opened without the console token, so Lifeboat cannot trust it.',
      ).toBody(),
    };
  }
  return { ok: true, client: createClient(createConsoleBridge(token)) };
}

export { CallError, createClient, errorBodyOf, type LifeboatClient } from './client.js';
