export {
  findGuardedSecret,
  findSecret,
  openLogger,
  sanitize,
  unguard,
  type LogFields,
  type LogLevel,
  type Logger,
  type LoggerOptions,
} from './logger.js';
