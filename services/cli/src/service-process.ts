import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CliError } from './cli-error.js';

/** A service running as a child process of `totra up`. */
export interface ServiceProcess {
  name: string;
  /** The URL the service listens on (undefined for a service without one, e.g. the projector). */
  url: string | undefined;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts a service package's `main` as a child process with the given environment, and waits
 * for it to report its URL over IPC. The child runs in its own process group so that Ctrl-C
 * reaches only `totra up`, which stops the services before the engines.
 */
export async function startServiceProcess(name: string, mainSpecifier: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<ServiceProcess> {
  const main = fileURLToPath(import.meta.resolve(mainSpecifier));
  const child: ChildProcess = spawn(process.execPath, [...process.execArgv, main], {
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: true,
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string | undefined>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new CliError('TOTRA_CLI_SERVICE_START', `${name} did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', (m: { type?: string; url?: string }) => {
      if (m?.type === 'ready') {
        clearTimeout(timer);
        resolve(typeof m.url === 'string' ? m.url : undefined);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new CliError('TOTRA_CLI_SERVICE_START', `${name} exited with code ${code} while starting (its error is above)`));
    });
  });
  return {
    name,
    url,
    pid: child.pid ?? -1,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
