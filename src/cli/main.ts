import 'reflect-metadata';
import { AccountSetupError } from '../accounts/account-setup.js';
import { ConfigError, loadConfig } from '../config/config.js';
import { openDatabase, type Database } from '../database/data-source.js';
import { EmbeddedDatabaseBusy } from '../database/embedded.js';
import { accountCreate } from './account-create.js';
import { storageSweep } from './storage-sweep.js';
import { UsageError } from './args.js';

const USAGE = `usage: npm run cli -- <command>

commands:
  account create --slug <slug> [--name <name>] [--email <email> --password <password>]
      create an account with an admin user; prints {"account","user","token"} as one JSON line
  storage sweep [--grace-seconds <seconds>]
      remove stored bytes no artifact references, and abandoned uploads older than the grace period

It uses the server's configuration (DATABASE_URL, DATA_DIR, STORAGE_DRIVER, …).`;

type Command = (database: Database, args: string[]) => Promise<string>;

const COMMANDS: Record<string, Command> = {
  'account create': accountCreate,
  'storage sweep': storageSweep,
};

/**
 * The operator's CLI. It uses the server's configuration (DATABASE_URL, DATA_DIR). The embedded
 * database has a single owner: with a server running on it, the CLI says so and stops.
 */
async function main(argv: string[]): Promise<number> {
  if (argv.length === 1 && ['--help', '-h', 'help'].includes(argv[0])) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const name = argv.slice(0, 2).join(' ');
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2, statementTimeoutMs: config.databaseStatementTimeoutMs });
  try {
    process.stdout.write(`${await command(database, argv.slice(2))}\n`);
    return 0;
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known = error instanceof AccountSetupError || error instanceof UsageError || error instanceof ConfigError || error instanceof EmbeddedDatabaseBusy;
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    if (error instanceof UsageError) process.stderr.write(`${USAGE}\n`);
    if (!known) process.stderr.write("the command failed unexpectedly\n");
    process.exit(1);
  },
);
