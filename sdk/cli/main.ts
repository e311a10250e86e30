// The `fx` executable (bin/fx.js runs this): the CLI on the real process, its streams and its exit code.
import { runCli } from './index.js';

const interrupted = new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, interrupted });
// Exit once what was written has been flushed to a pipe: open keep-alive sockets must not hold the process.
process.stdout.write('', () => process.exit(code));
