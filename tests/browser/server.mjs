// Starts the real wangge service for browser tests: its own embedded PostGIS in a fresh
// temporary data directory, loaded with the default demo, listening on a free port.
//
//   const server = await startServer();   // { url, accounts, dataDir, logs(), stop() }
//   server.accounts.admin                 // { username: 'demo_admin', password: '…' }
//
// `accounts` comes from the block the service prints once, when it loads the demo:
//   Demo accounts (passwords are shown this once; …):
//     admin      demo_admin       Xy7…
//   ...
//   await server.stop();                  // SIGTERM, wait for a clean exit, remove the data dir
//
// Environment:
//   WANGGE_BIN           the service binary (default target/debug/wangge, relative to the repo root)
//   WANGGE_TEST_VERBOSE  set to 1 to stream the service's output to the test's stderr

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const READY = /listening on (http:\/\/127\.0\.0\.1:\d+)/;
const MAX_LOG_CHARS = 200_000;
const ACCOUNTS_HEADING = /^Demo accounts\b.*$/m;
const ACCOUNT_LINE = /^[ \t]+([a-z]+)[ \t]+(\S+)[ \t]+(\S+)[ \t]*$/;

/**
 * The demo accounts printed before the "listening" line, by role:
 * `{ admin: { username, password }, … }`; empty when the output has no such block.
 */
export function parseDemoAccounts(stdout) {
  const accounts = {};
  const heading = ACCOUNTS_HEADING.exec(stdout);
  if (!heading) return accounts;
  const lines = stdout.slice(heading.index + heading[0].length).split('\n').slice(1);
  for (const line of lines) {
    const m = ACCOUNT_LINE.exec(line.replace(/\r$/, ''));
    if (!m) break;
    const [, role, username, password] = m;
    accounts[role] = { username, password };
  }
  return accounts;
}

/** The service binary the tests run. */
export function serviceBinary() {
  return path.resolve(repoRoot, process.env.WANGGE_BIN || 'target/debug/wangge');
}

/**
 * Starts `wangge serve --listen 127.0.0.1:0 --data-dir <temp> --load-demo` without
 * DATABASE_URL, and resolves once it prints "listening on http://127.0.0.1:PORT".
 */
export async function startServer({ timeoutMs = 180_000, extraArgs = [] } = {}) {
  const bin = serviceBinary();
  if (!existsSync(bin)) {
    throw new Error(`wangge binary not found at ${bin}: build it first (cargo build) or set WANGGE_BIN`);
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'wangge-browser-'));
  const env = { ...process.env };
  delete env.DATABASE_URL;
  // Every page and test signs in from 127.0.0.1: more than the default 10 sign-ins a minute
  // from one address (the per-user-name limit stays as it is).
  env.WANGGE_LOGIN_RATE ??= '600/min';

  const args = ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--load-demo', ...extraArgs];
  const child = spawn(bin, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const verbose = process.env.WANGGE_TEST_VERBOSE === '1';

  let log = '';
  const remember = (prefix, chunk) => {
    const text = chunk.toString();
    if (verbose) process.stderr.write(text.replace(/^(?=.)/gm, prefix));
    log += text;
    if (log.length > MAX_LOG_CHARS) log = log.slice(-MAX_LOG_CHARS);
  };

  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
  });

  let stdoutText = '';
  const url = await new Promise((resolve, reject) => {
    let stdoutBuffer = '';
    const timer = setTimeout(
      () => reject(new Error(`wangge did not print "listening on ..." within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    child.stdout.on('data', (chunk) => {
      remember('[wangge] ', chunk);
      stdoutBuffer += chunk.toString();
      if (stdoutText.length < MAX_LOG_CHARS) stdoutText += chunk.toString();
      const match = READY.exec(stdoutBuffer);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      } else if (stdoutBuffer.length > 10_000) {
        stdoutBuffer = stdoutBuffer.slice(-1_000);
      }
    });
    child.stderr.on('data', (chunk) => remember('[wangge:err] ', chunk));
    exited.then(({ code, signal, error }) => {
      clearTimeout(timer);
      reject(new Error(error
        ? `could not start ${bin}: ${error.message}`
        : `wangge exited before it was ready (code ${code}, signal ${signal})`));
    });
  }).catch(async (err) => {
    if (!verbose) process.stderr.write(`--- wangge output (${args.join(' ')}) ---\n${log}\n--- end of wangge output ---\n`);
    await stopChild(child, exited);
    await removeDir(dataDir);
    throw err;
  });

  // The data listeners stay attached, so the pipes keep draining and the service never blocks.
  let stopped = false;
  return {
    url,
    accounts: parseDemoAccounts(stdoutText),
    dataDir,
    logs: () => log,
    /** Writes the service's output so far to stderr (call it when a test fails). */
    dumpLogs() {
      process.stderr.write(`--- wangge output ---\n${log}\n--- end of wangge output ---\n`);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const result = await stopChild(child, exited);
      await removeDir(dataDir);
      return result;
    },
  };
}

async function stopChild(child, exited, graceMs = 60_000) {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      process.stderr.write(`wangge did not stop within ${graceMs / 1000} s of SIGTERM: killing it\n`);
      child.kill('SIGKILL');
    }, graceMs);
    const result = await exited;
    clearTimeout(timer);
    return result;
  }
  return exited;
}

async function removeDir(dir) {
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
}

/** Runs `fn`; if it throws, writes the service's output to stderr first. */
export async function withServerLogsOnFailure(server, fn) {
  try {
    return await fn();
  } catch (err) {
    server?.dumpLogs();
    throw err;
  }
}
