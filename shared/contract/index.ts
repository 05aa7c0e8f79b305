/**
 * The IPC contract between the renderer and the main process, once, as zod schemas.
 * The renderer imports only this folder and shared/errors.ts; electron/host/ validates every
 * message against it on both transports (Electron IPC and the loopback browser console).
 */
export * from './common.js';
export * from './models.js';
export * from './methods.js';
export * from './events.js';
export * from './transport.js';
