/**
 * What the router dispatches to: one handler per contract method, and a source of events.
 *
 * Handlers receive the request as the contract's schemas output it (secrets as bytes) and
 * return the response as the schemas accept it; the router validates both sides, so a handler
 * can neither receive nor return anything outside the contract.
 */
import type { z } from 'zod';
import {
  METHOD_NAMES,
  type HostEvent,
  type MethodName,
  type Methods,
  type ServiceRequestOf,
} from '../../shared/contract/index.js';
import { IpcErrors } from './errors.js';

/** Which transport a call came through, and a signal aborted when its caller went away. */
export interface CallContext {
  readonly transport: 'electron' | 'console';
  readonly signal: AbortSignal;
}

/** What a handler may return: anything the response schema accepts. */
export type ServiceResponseOf<M extends MethodName> = z.input<Methods[M]['response']>;

export type Handler<M extends MethodName> = (
  request: ServiceRequestOf<M>,
  ctx: CallContext,
) => Promise<ServiceResponseOf<M>>;

export type Handlers = { readonly [M in MethodName]: Handler<M> };

export type EventListener = (event: HostEvent) => void;

export interface Services {
  readonly handlers: Handlers;
  /** Subscribes to the services' events; returns the unsubscribe. */
  subscribe(listener: EventListener): () => void;
  /** Stops schedulers and child processes, closes the catalog. */
  close(): Promise<void>;
}

/**
 * Completes a partial handler table: a method no service provides yet answers with the typed
 * IPC_NOT_AVAILABLE error naming it, instead of a fake result.
 */
export function completeHandlers(provided: Partial<Handlers>): Handlers {
  const table: Partial<Record<MethodName, unknown>> = {};
  for (const method of METHOD_NAMES) {
    table[method] =
      provided[method] ??
      (async () => {
        throw IpcErrors.create('IPC_NOT_AVAILABLE', `${method} is not available in this build.`);
      });
  }
  return table as Handlers;
}
