/**
 * The Electron transport of the router: one invoke channel for calls, one push channel for
 * events. Every call's sending frame is checked first: only the top frame of a Lifeboat
 * window on app://lifeboat may call; anything else gets IPC_UNTRUSTED_SENDER and reaches no
 * service.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import {
  IPC_CALL_CHANNEL,
  IPC_EVENT_CHANNEL,
  type CallOutcome,
} from '../../shared/contract/index.js';
import { IpcErrors } from '../host/errors.js';
import type { Router } from '../host/router.js';
import { isTrustedSender } from '../host/trust.js';

function senderIsTrusted(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  return isTrustedSender({
    url: frame === null ? null : frame.url,
    isMainFrame: frame !== null && frame.parent === null,
  });
}

/** Aborted when the window that made the call goes away, so its work can stop. */
function signalFor(contents: WebContents): AbortSignal {
  const controller = new AbortController();
  if (contents.isDestroyed()) controller.abort();
  else contents.once('destroyed', () => controller.abort());
  return controller.signal;
}

export interface IpcBinding {
  /** Stops answering calls and pushing events. */
  close(): void;
}

export function bindIpc(
  ipcMain: IpcMain,
  router: Router,
  windows: () => readonly WebContents[],
): IpcBinding {
  ipcMain.handle(IPC_CALL_CHANNEL, async (event, envelope: unknown): Promise<CallOutcome> => {
    if (!senderIsTrusted(event)) {
      const error = IpcErrors.create('IPC_UNTRUSTED_SENDER', 'A call came from untrusted content.');
      return { ok: false, error: error.toBody() };
    }
    return router.call(envelope, { transport: 'electron', signal: signalFor(event.sender) });
  });
  const unsubscribe = router.subscribe((hostEvent) => {
    for (const contents of windows()) {
      if (
        !contents.isDestroyed() &&
        isTrustedSender({ url: contents.getURL(), isMainFrame: true })
      ) {
        contents.send(IPC_EVENT_CHANNEL, hostEvent);
      }
    }
  });
  return {
    close() {
      ipcMain.removeHandler(IPC_CALL_CHANNEL);
      unsubscribe();
    },
  };
}
