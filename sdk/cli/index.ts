export { runCli, EXIT } from './program.js';
export type { CliIo } from './program.js';
