/**
 * chat(8) as a library: the sans-IO engine and the pieces around it (script words, escapes,
 * command line). `dialtone chat` (src/cli/chat.ts) is one adapter; anything that can move bytes
 * and keep time can be another.
 */
export {
  ChatEngine,
  DEFAULT_TIMEOUT,
  chatTimestamp,
  type ChatAction,
  type ChatEngineOptions,
  type ChatSignal,
  type FileResult,
  type LineEnd,
} from './engine.js';
export { parseChatFile, splitSubexpects, type ChatScript } from './script.js';
export { argToBinary, atoi, character, clean, cString, visible, type CleanContext, type Cleaned } from './escapes.js';
export { parseCommandLine, toEngineOptions, USAGE_TEXT, type ChatCommandLine, type ParseResult } from './options.js';
