/**
 * How calls and events cross the two transports. Both carry the same envelopes:
 *
 * - Electron: the preload exposes `window.lifeboat` (a `LifeboatBridge`); `call` goes through
 *   `ipcRenderer.invoke(IPC_CALL_CHANNEL, {method, params})`, events arrive on IPC_EVENT_CHANNEL.
 * - Browser console: the page is opened at `http://127.0.0.1:PORT/#token=TOKEN`. The renderer
 *   reads the token from the fragment (which never reaches a server log or a Referer), then
 *   removes it from the address bar. Calls: `POST CONSOLE_CALL_PATH` with the JSON envelope and
 *   `Authorization: Bearer TOKEN`. Events: `new EventSource(CONSOLE_EVENTS_PATH + '?token=' +
 *   TOKEN)`; each message's data is one HostEvent as JSON.
 *
 * Every answer is a CallOutcome, never a thrown transport error, so a typed error (code,
 * message, hint) reaches the screen intact on both transports.
 */
import { z } from 'zod';
import { ErrorBodySchema } from './common.js';
import { HostEvent } from './events.js';
import { methods, type MethodName, type RequestOf, type ResponseOf } from './methods.js';

export const IPC_CALL_CHANNEL = 'lifeboat:call';
export const IPC_EVENT_CHANNEL = 'lifeboat:event';

export const CONSOLE_CALL_PATH = '/api/call';
export const CONSOLE_EVENTS_PATH = '/api/events';
/** The URL fragment key and the query key (event stream only) that carry the console token. */
export const CONSOLE_TOKEN_PARAM = 'token';
/** Largest request body the console accepts; a .pfx in base64 fits with room to spare. */
export const MAX_CALL_BYTES = 1024 * 1024;

export const CallEnvelope = z.strictObject({
  method: z.string().min(1).max(64),
  params: z.unknown(),
});
export type CallEnvelope = z.infer<typeof CallEnvelope>;

export const CallOutcome = z.discriminatedUnion('ok', [
  z.strictObject({ ok: z.literal(true), result: z.unknown() }),
  z.strictObject({ ok: z.literal(false), error: ErrorBodySchema }),
]);
export type CallOutcome = z.infer<typeof CallOutcome>;

/**
 * What the preload exposes as `window.lifeboat`, and what the renderer's console client builds
 * over fetch and EventSource: the renderer talks to both through this one shape.
 */
export interface LifeboatBridge {
  readonly transport: 'electron' | 'console';
  /** Resolves to an outcome envelope (validate it with `decodeOutcome`); never rejects on a typed error. */
  call(method: string, params: unknown): Promise<unknown>;
  /** Subscribes to host events (validate each with `decodeEvent`); returns the unsubscribe. */
  onEvent(listener: (event: unknown) => void): () => void;
}

/** A typed call, for the renderer's client: `call(bridge, 'health.get', {})`. */
export type TypedCall = <M extends MethodName>(
  method: M,
  params: RequestOf<M>,
) => Promise<ResponseOf<M>>;

export type DecodedOutcome<M extends MethodName> =
  { ok: true; result: ResponseOf<M> } | { ok: false; error: z.infer<typeof ErrorBodySchema> };

const MALFORMED_ANSWER = {
  code: 'IPC_BAD_ANSWER',
  message: 'The main process sent an answer this screen does not understand.',
  hint: 'The app and its window are from different versions; restart Lifeboat.',
  category: 'internal',
} as const;

/** Checks an answer against the contract; a malformed one becomes a typed error, not a crash. */
export function decodeOutcome<M extends MethodName>(method: M, raw: unknown): DecodedOutcome<M> {
  const outcome = CallOutcome.safeParse(raw);
  if (!outcome.success) return { ok: false, error: { ...MALFORMED_ANSWER } };
  if (!outcome.data.ok) return outcome.data;
  const result = methods[method].response.safeParse(outcome.data.result);
  if (!result.success) return { ok: false, error: { ...MALFORMED_ANSWER } };
  return { ok: true, result: result.data as ResponseOf<M> };
}

/** Checks one pushed event; returns null for anything that is not a HostEvent. */
export function decodeEvent(raw: unknown): HostEvent | null {
  const parsed = HostEvent.safeParse(raw);
  return parsed.success ? parsed.data : null;
}
