// The `fx` command line, on the SDK. Output: a table when stdout is a terminal, JSON when it is not (a
// pipe or a file: what scripts read) or with --json; --table forces the table. Exit codes: 0 done,
// 1 refused (the server's code is printed), 2 usage, 3 no answer (cannot connect, timed out).
import { Command, CommanderError, Option } from 'commander';
import WebSocket from 'ws';
import { CLIENT_CODES, FxApiError, FxClient, type Amount, type StreamQuote, type StreamState } from '../index.js';
import { board, corridorsTable, indicativeFields, quoteFields, type Out } from './output.js';

export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3 } as const;

export interface CliIo {
  stdout: Out;
  stderr: Out;
  /** Resolves when the user asks to stop (SIGINT). */
  interrupted?: Promise<void>;
}

interface Common {
  url: string;
  key?: string;
  json?: boolean;
  table?: boolean;
}

class UsageError extends Error {}

const NO_ANSWER = new Set<string>([CLIENT_CODES.network_error, CLIENT_CODES.timeout, CLIENT_CODES.connection_lost]);

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let json = argv.includes('--json') || (!argv.includes('--table') && !io.stdout.isTTY);
  let action: (() => Promise<number>) | undefined;
  const program = new Command('fx')
    .description('The FX pricing engine from the command line: corridors, quotes, locks, redeems and the live stream.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(fx --help lists the commands)');

  /** Adds the options every command takes, and runs `run` with a client made from them. */
  const command = (spec: string, description: string) => {
    const cmd = program
      .command(spec)
      .description(description)
      .addOption(new Option('--url <url>', 'the engine base URL').env('FX_URL').default('http://localhost:8080'))
      .addOption(new Option('--key <key>', 'API key').env('FX_API_KEY'))
      .option('--json', 'print JSON (NDJSON for subscribe); the default when stdout is not a terminal')
      .option('--table', 'print a table even when stdout is not a terminal');
    return cmd;
  };
  const client = (o: Common): FxClient => {
    if (!o.key) throw new UsageError('no API key: pass --key or set FX_API_KEY');
    json = o.json === true || (!o.table && !io.stdout.isTTY);
    try {
      return new FxClient({ baseUrl: o.url, apiKey: o.key, WebSocket });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  };
  const print = (value: unknown, human: () => string) => io.stdout.write(json ? `${JSON.stringify(value)}\n` : human());
  const amountOf = (o: { send?: string; receive?: string }): Amount => {
    if ((o.send === undefined) === (o.receive === undefined)) throw new UsageError('give exactly one of --send <amount> or --receive <amount>');
    return o.send !== undefined ? { sendAmount: o.send } : { receiveAmount: o.receive! };
  };
  const later = (fn: () => Promise<number>) => {
    action = fn;
  };

  command('corridors', 'list corridors: rules, live rate, and why one is not tradeable').action((o: Common) =>
    later(async () => {
      const list = await client(o).corridors();
      print({ corridors: list }, () => corridorsTable(list));
      return EXIT.ok;
    }),
  );

  command('quote <corridor>', 'an indicative (not binding) quote')
    .option('--send <amount>', 'the amount the customer sends')
    .option('--receive <amount>', 'the amount the customer receives')
    .action((corridor: string, o: Common & { send?: string; receive?: string }) =>
      later(async () => {
        const q = await client(o).indicative(corridor, amountOf(o));
        print(q, () => indicativeFields(q));
        return EXIT.ok;
      }),
    );

  command('lock <corridor>', 'lock a firm quote (retried safely with one Idempotency-Key)')
    .option('--send <amount>', 'the amount the customer sends')
    .option('--receive <amount>', 'the amount the customer receives')
    .option('--idempotency-key <key>', 'the same key returns the same quote (one is made when absent)')
    .action((corridor: string, o: Common & { send?: string; receive?: string; idempotencyKey?: string }) =>
      later(async () => {
        const q = await client(o).lock({ corridor, ...amountOf(o) }, { idempotencyKey: o.idempotencyKey });
        print(q, () => quoteFields(q));
        return EXIT.ok;
      }),
    );

  command('get <id>', 'a quote and its status (locked, redeemed, expired)').action((id: string, o: Common) =>
    later(async () => {
      const q = await client(o).getQuote(id);
      print(q, () => quoteFields(q));
      return EXIT.ok;
    }),
  );

  command('redeem <id>', 'redeem a locked quote once; the amount must equal the locked one')
    .option('--send <amount>', 'the locked send amount')
    .option('--receive <amount>', 'the locked receive amount')
    .requiredOption('--idempotency-key <key>', 'keep it with your transfer: the same key replays the first answer')
    .action((id: string, o: Common & { send?: string; receive?: string; idempotencyKey: string }) =>
      later(async () => {
        const q = await client(o).redeem(id, amountOf(o), { idempotencyKey: o.idempotencyKey });
        print(q, () => quoteFields(q));
        return EXIT.ok;
      }),
    );

  command('subscribe <corridor...>', 'watch live quotes (a board updated in place, or NDJSON); reconnects by itself')
    .option('--amount <amount>', 'send amount: picks the spread tier the stream carries')
    .option('--count <n>', 'stop after n fresh quotes')
    .action((corridors: string[], o: Common & { amount?: string; count?: string }) =>
      later(() => subscribe(client(o), o.url, corridors, o, json, io)),
    );

  try {
    await program.parseAsync(argv, { from: 'user' });
    if (!action) return EXIT.ok; // help or version was printed
    return await action();
  } catch (err) {
    return fail(err, json, io);
  }
}

function fail(err: unknown, json: boolean, io: CliIo): number {
  if (err instanceof CommanderError) {
    // commander has printed the message (and help when asked for it).
    return err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version' ? EXIT.ok : EXIT.usage;
  }
  if (err instanceof UsageError) {
    io.stderr.write(`fx: ${err.message}\n(fx --help lists the commands)\n`);
    return EXIT.usage;
  }
  if (err instanceof FxApiError) {
    io.stderr.write(json ? `${JSON.stringify({ error: { code: err.code, status: err.status, detail: err.detail } })}\n` : `fx: ${err.code}: ${err.detail}\n`);
    return NO_ANSWER.has(err.code) ? EXIT.unreachable : EXIT.refused;
  }
  throw err;
}

const CONNECT_ATTEMPTS = 5;
const FATAL_STREAM = new Set(['unauthorized', 'forbidden', 'corridor_not_found', 'invalid_amount', 'invalid_request']);

async function subscribe(client: FxClient, url: string, corridors: string[], o: { amount?: string; count?: string }, json: boolean, io: CliIo): Promise<number> {
  const count = o.count === undefined ? Infinity : Number(o.count);
  if (!Number.isInteger(count) || count < 1) throw new UsageError('--count must be a whole number of 1 or more');
  const stream = client.stream({ corridors, sendAmount: o.amount });
  let fresh = 0;
  let note = '';
  let drawn = 0;
  const redraw = () => {
    const text = board(corridors, (c) => stream.latest(c), stream.state, note);
    // Move back up over the last board and draw over it.
    io.stdout.write(`${drawn ? `\x1b[${drawn}F\x1b[J` : ''}${text}`);
    drawn = text.split('\n').length - 1;
  };
  return new Promise<number>((resolve) => {
    let exit: number = EXIT.ok;
    let everOpen = false;
    const finish = (code: number) => {
      exit = code;
      stream.close();
    };
    stream.on('quote', (q: StreamQuote) => {
      if (json) io.stdout.write(`${JSON.stringify(q)}\n`);
      else redraw();
      if (!q.stale && ++fresh >= count) finish(EXIT.ok);
    });
    stream.on('state', (state: StreamState, info) => {
      note = state === 'reconnecting' ? `attempt ${info.attempt} in ${info.delayMs} ms: ${info.reason}` : '';
      // In JSON mode stdout stays quotes only; stderr tells of outages (a reconnect and the open that ends it).
      if (json && (state === 'reconnecting' || (state === 'open' && everOpen))) io.stderr.write(`fx: stream ${state}${note ? ` (${note})` : ''}\n`);
      else if (!json && state !== 'closed') redraw();
      everOpen ||= state === 'open';
      if (state === 'closed') resolve(exit);
      // Once it has been open the stream rides out any outage; a server never reached is a wrong URL, say so.
      else if (state === 'reconnecting' && !everOpen && info.attempt >= CONNECT_ATTEMPTS) {
        io.stderr.write(`fx: ${CLIENT_CODES.network_error}: cannot open the stream at ${url} (${info.attempt} attempts)\n`);
        finish(EXIT.unreachable);
      }
    });
    stream.on('error', (err) => {
      io.stderr.write(`fx: ${err.code}: ${err.detail}\n`);
      // A refusal that reconnecting cannot fix (bad key, corridor or amount) ends it; the rest are reported only.
      if (FATAL_STREAM.has(err.code)) finish(EXIT.refused);
    });
    void io.interrupted?.then(() => finish(EXIT.ok));
  });
}
