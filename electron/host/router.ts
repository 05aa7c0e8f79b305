/**
 * The one router: both transports (Electron IPC and the loopback console) hand it raw messages.
 * It validates the envelope, the method name and the parameters against shared/contract,
 * dispatches to the service, validates the answer, and always returns a CallOutcome, so a
 * typed error reaches the window intact and nothing outside the contract crosses either way.
 */
import type { z } from 'zod';
import {
  CallEnvelope,
  HostEvent,
  isMethodName,
  methods,
  type CallOutcome,
  type MethodName,
} from '../../shared/contract/index.js';
import { asLifeboatError, type LifeboatError } from '../../shared/errors.js';
import { IpcErrors } from './errors.js';
import type { CallContext, EventListener, Handler, Services } from './services.js';

export interface RouterOptions {
  /** Told about every refusal and failure (code and method only), for the log. */
  onFailure?: (failure: { method: string | null; code: string; category: string }) => void;
}

export interface Router {
  call(raw: unknown, ctx: CallContext): Promise<CallOutcome>;
  /** Forwards the services' events that match the contract; returns the unsubscribe. */
  subscribe(listener: EventListener): () => void;
}

/** Names the first offending field and what was wrong, never the value (it may be a secret). */
export function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'rejected';
  const where = issue.path.length > 0 ? issue.path.map(String).join('.') : '(the message)';
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
  return `${where}: ${issue.message}${more}`;
}

function parseEnvelope(raw: unknown): { method: MethodName; params: unknown } {
  const envelope = CallEnvelope.safeParse(raw);
  if (!envelope.success) {
    throw IpcErrors.create(
      'IPC_INVALID_REQUEST',
      `The message is not a call: ${describeIssues(envelope.error)}.`,
    );
  }
  const { method, params } = envelope.data;
  if (!isMethodName(method)) {
    throw IpcErrors.create('IPC_UNKNOWN_METHOD', `There is no method "${method.slice(0, 64)}".`);
  }
  return { method, params };
}

async function dispatch<M extends MethodName>(
  services: Services,
  method: M,
  params: unknown,
  ctx: CallContext,
): Promise<unknown> {
  const spec = methods[method];
  const request = spec.request.safeParse(params);
  if (!request.success) {
    throw IpcErrors.create(
      'IPC_INVALID_REQUEST',
      `Invalid request for ${method}: ${describeIssues(request.error)}.`,
    );
  }
  const handler = services.handlers[method] as Handler<M>;
  const answer = await handler(request.data as never, ctx);
  const response = spec.response.safeParse(answer);
  if (!response.success) {
    throw IpcErrors.create(
      'IPC_INVALID_RESPONSE',
      `The answer to ${method} does not match the contract: ${describeIssues(response.error)}.`,
    );
  }
  return response.data;
}

export function createRouter(services: Services, options: RouterOptions = {}): Router {
  return {
    async call(raw, ctx) {
      let method: string | null = null;
      try {
        const parsed = parseEnvelope(raw);
        method = parsed.method;
        const result = await dispatch(services, parsed.method, parsed.params, ctx);
        return { ok: true, result };
      } catch (error) {
        const failure: LifeboatError = asLifeboatError(error);
        options.onFailure?.({ method, code: failure.code, category: failure.category });
        return { ok: false, error: failure.toBody() };
      }
    },
    subscribe(listener) {
      return services.subscribe((event) => {
        const checked = HostEvent.safeParse(event);
        if (checked.success) listener(checked.data);
        else
          options.onFailure?.({ method: null, code: 'IPC_INVALID_RESPONSE', category: 'internal' });
      });
    },
  };
}

/** Router options that log each refusal or failure (method, code and category only). */
export function loggingFailures(log: {
  warn(event: string, fields: Record<string, unknown>): void;
  error(event: string, fields: Record<string, unknown>): void;
}): RouterOptions {
  return {
    onFailure: (failure) =>
      failure.category === 'internal'
        ? log.error('ipc.failed', { ...failure })
        : log.warn('ipc.refused', { ...failure }),
  };
}
