#!/usr/bin/env node
/**
 * The `sessionmesh` command. Exit codes: 0 ok, 1 runtime failure, 2 bad usage.
 */
import { readFileSync } from 'node:fs';
import { isSessionMeshError } from '../errors.js';
import { createNode, type SessionMeshNode } from '../node/node.js';
import { MAIN_USAGE, START_USAGE, STATUS_USAGE, UsageError, parseStart, parseStatus } from './args.js';
import { fetchStatus, renderStatus } from './status.js';
import { runDemo } from './demo.js';

/** The package version, from the nearest package.json named sessionmesh above this file. */
function version(): string {
  for (let dir = new URL('.', import.meta.url); dir.pathname !== '/'; dir = new URL('..', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'sessionmesh') return pkg.version;
    } catch {
      // not here: look one level up
    }
  }
  return 'unknown';
}

async function start(argv: string[]): Promise<number> {
  const cmd = parseStart(argv, process.env);
  if (cmd.help) {
    process.stdout.write(START_USAGE);
    return 0;
  }
  let node: SessionMeshNode;
  try {
    node = await createNode(cmd.options);
  } catch (err) {
    if (isSessionMeshError(err, 'ERR_CONFIG')) throw new UsageError(err.message);
    throw err;
  }
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        process.stderr.write(`second ${signal}: exiting now\n`);
        process.exit(1);
      }
      stopping = true;
      node.logger.info({ signal }, 'stopping: leaving the cluster');
      node.close().then(resolve, resolve);
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}

async function status(argv: string[]): Promise<number> {
  const cmd = parseStatus(argv);
  if (cmd.help) {
    process.stdout.write(STATUS_USAGE);
    return 0;
  }
  const s = await fetchStatus(cmd.http);
  process.stdout.write(cmd.json ? `${JSON.stringify(s, null, 2)}\n` : `${renderStatus(s)}\n`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return start(rest);
    case 'status':
      return status(rest);
    case 'demo':
      return runDemo(rest);
    case '--version':
    case '-v':
      process.stdout.write(`${version()}\n`);
      return 0;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(MAIN_USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`sessionmesh: ${err.message}\nRun "sessionmesh --help" for usage.\n`);
      process.exitCode = 2;
    } else {
      const e = err as Error & { code?: string };
      process.stderr.write(`sessionmesh: ${e.code ? `${e.code}: ` : ''}${e.message}\n`);
      process.exitCode = 1;
    }
  },
);
