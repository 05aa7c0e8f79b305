export {
  findGuardedSecret,
  findSecret,
  openLogger,
  sanitize,
  type LogFields,
  type LogLevel,
  type Logger,
  type LoggerOptions,
} from './logger.js';
