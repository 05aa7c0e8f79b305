/**
 * The preload: the only bridge between the sandboxed page and the main process. It exposes
 * `window.lifeboat`, a LifeboatBridge with two functions, `call` and `onEvent`, and nothing
 * else: no ipcRenderer, no channel names, no Node. A sandboxed preload can require only
 * `electron`, so the channel names are repeated here; test/host checks they match the contract.
 */
// A CommonJS file under verbatimModuleSyntax imports with `import = require`; the sandbox allows only 'electron'.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import electron = require('electron');
import type { LifeboatBridge } from '../shared/contract/transport.js';

const { contextBridge, ipcRenderer } = electron;

const CALL_CHANNEL = 'lifeboat:call';
const EVENT_CHANNEL = 'lifeboat:event';

const bridge = {
  transport: 'electron',
  call(method: string, params: unknown): Promise<unknown> {
    return ipcRenderer.invoke(CALL_CHANNEL, { method, params });
  },
  onEvent(listener: (event: unknown) => void): () => void {
    // The page gets the payload only, never the IpcRendererEvent (it holds `sender`).
    const forward = (_event: electron.IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on(EVENT_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, forward);
    };
  },
} satisfies LifeboatBridge;

contextBridge.exposeInMainWorld('lifeboat', bridge);
