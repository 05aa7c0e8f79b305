/**
 * The Electron main process: thin on purpose. It applies the security checklist, serves the
 * renderer from app://lifeboat, opens the same services and router the browser console uses,
 * binds them to IPC with every sender checked, and opens the one window. Everything that can
 * run without Electron lives in electron/host/ and the services, where it is tested as Node.
 */
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  protocol,
  safeStorage,
  session,
} from 'electron';
import { join } from 'node:path';
import { asLifeboatError } from '../shared/errors.js';
import { defaultHome } from './cli/main.js';
import { openServices } from './host/adapter.js';
import { LAB_RACK_ENV, LabRackInfo } from './host/default-setup.js';
import { createRouter, loggingFailures } from './host/router.js';
import { openLogger } from './log/index.js';
import type { Services } from './host/services.js';
import { bindIpc, type IpcBinding } from './shell/ipc.js';
import { safeStorageProtector } from './shell/key-protector.js';
import { registerAppScheme, serveAppScheme } from './shell/protocol.js';
import { hardenApp, hardenSession } from './shell/security.js';
import { openMainWindow } from './shell/window.js';

const here = import.meta.dirname;
const rendererDir = join(here, '..', 'renderer');
const preloadPath = join(here, 'preload.cjs');

/** The lab rack `npm start` started for this run, if any (never set in an installed app). */
function labRackFromEnv(): LabRackInfo | null {
  const raw = process.env[LAB_RACK_ENV];
  if (raw === undefined || app.isPackaged) return null;
  try {
    const parsed = LabRackInfo.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** No Help menu: its default entries open web pages, and this app never goes online. */
function installMenu(): void {
  const template: Electron.MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

let services: Services | null = null;
let binding: IpcBinding | null = null;

async function start(): Promise<void> {
  hardenSession(session.defaultSession);
  serveAppScheme(protocol, rendererDir);
  installMenu();
  const labRack = labRackFromEnv();
  const home = defaultHome();
  services = await openServices({
    home,
    transport: 'electron',
    version: app.getVersion(),
    labRack,
    // In development the lab-rack program runs under Electron's own Node; the packaged app has
    // that switched off by a fuse, and no lab rack.
    ...(labRack === null
      ? {}
      : {
          labRackTool: {
            program: join(app.getAppPath(), 'bin', 'lab-rack.js'),
            node: process.execPath,
            env: { ELECTRON_RUN_AS_NODE: '1' },
          },
        }),
    protector: safeStorageProtector(safeStorage, process.platform),
  });
  const router = createRouter(services, loggingFailures(openLogger({ home, source: 'app' })));
  binding = bindIpc(ipcMain, router, () =>
    BrowserWindow.getAllWindows().map((window) => window.webContents),
  );
  await openMainWindow(BrowserWindow, { preloadPath, devTools: !app.isPackaged });
}

function focusExistingWindow(): void {
  const [window] = BrowserWindow.getAllWindows();
  if (window === undefined) return;
  if (window.isMinimized()) window.restore();
  window.focus();
}

async function shutDown(): Promise<void> {
  binding?.close();
  binding = null;
  const open = services;
  services = null;
  await open?.close();
}

registerAppScheme(protocol);
hardenApp(app);

if (!app.requestSingleInstanceLock()) {
  // Another window already runs this profile; it is focused instead of opening a second one.
  app.quit();
} else {
  app.on('second-instance', focusExistingWindow);
  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', (event) => {
    if (services === null) return;
    event.preventDefault();
    void shutDown().finally(() => app.quit());
  });
  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      const failure = asLifeboatError(error);
      dialog.showErrorBox(
        `Lifeboat cannot start (${failure.code})`,
        `${failure.message}\n\n${failure.hint}`,
      );
      app.exit(1);
    });
}
