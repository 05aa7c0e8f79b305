/**
 * Lifeboat's one window: sandboxed, context-isolated, no Node in the page, the typed preload
 * only, loaded from app://lifeboat. DevTools only in an unpackaged (development) run.
 */
import type { BrowserWindow as BrowserWindowClass } from 'electron';
import { APP_ENTRY_URL } from '../host/trust.js';

export interface WindowOptions {
  readonly preloadPath: string;
  readonly devTools: boolean;
}

export async function openMainWindow(
  BrowserWindow: typeof BrowserWindowClass,
  options: WindowOptions,
): Promise<BrowserWindowClass> {
  const window = new BrowserWindow({
    width: 1280,
    height: 860,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Lifeboat',
    webPreferences: {
      preload: options.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: options.devTools,
    },
  });
  window.once('ready-to-show', () => window.show());
  await window.loadURL(APP_ENTRY_URL);
  return window;
}
