/**
 * The renderer's one way to reach the main process: a typed client over a `LifeboatBridge`.
 *
 * The bridge is transport-neutral (shared/contract/transport.ts): the Electron preload's
 * `window.lifeboat`, or the browser console's fetch + EventSource bridge (./console.ts). Every
 * answer and event is checked against the contract here, so a screen only ever sees data of the
 * right shape, and every failure arrives as a typed error with a message and a hint.
 */
import {
  decodeEvent,
  decodeOutcome,
  type HostEvent,
  type LifeboatBridge,
  type MethodName,
  type RequestOf,
  type ResponseOf,
} from '../../../shared/contract/index.js';
import type { ErrorBody } from '../../../shared/errors.js';
import { UiErrors } from '../errors.js';

/** A failed call, carrying the main process's typed error unchanged. */
export class CallError extends Error {
  readonly body: ErrorBody;
  constructor(body: ErrorBody) {
    super(body.message);
    this.name = 'CallError';
    this.body = body;
  }
}

export interface LifeboatClient {
  readonly transport: LifeboatBridge['transport'];
  call<M extends MethodName>(method: M, params: RequestOf<M>): Promise<ResponseOf<M>>;
  /** Valid host events only; malformed ones are dropped (and reported once on the console). */
  subscribe(listener: (event: HostEvent) => void): () => void;
}

export function createClient(bridge: LifeboatBridge): LifeboatClient {
  return {
    transport: bridge.transport,
    async call(method, params) {
      let raw: unknown;
      try {
        raw = await bridge.call(method, params);
      } catch {
        // The bridge itself failed (socket closed, process gone): not a typed answer.
        throw new CallError(
          UiErrors.create(
            'UI_UNREACHABLE',
            'The window lost contact with the Lifeboat process.',
          ).toBody(),
        );
      }
      const outcome = decodeOutcome(method, raw);
      if (!outcome.ok) throw new CallError(outcome.error);
      return outcome.result;
    },
    subscribe(listener) {
      return bridge.onEvent((raw) => {
        const event = decodeEvent(raw);
        if (event === null) console.warn('Lifeboat: ignored an event outside the contract');
        else listener(event);
      });
    },
  };
}

/** Any thrown value as the typed error body a screen shows. */
export function errorBodyOf(error: unknown): ErrorBody {
  if (error instanceof CallError) return error.body;
  const text = error instanceof Error ? error.message : String(error);
  return UiErrors.create('UI_DEFECT', `This screen failed unexpectedly: ${text}`).toBody();
}
