// The default guest workload of the process driver (used when the image sets no `stratus_command`):
// a boot banner naming the instance, a heartbeat line every few seconds, and a clean exit on
// SIGTERM/SIGINT — the smallest program that behaves like a VM with a serial console.
// This file is a program of its own (the guest), started by ProcessDriver; nothing imports it.
export {};

const id = process.env.STRATUS_INSTANCE_ID ?? '(unknown)';
const name = process.env.STRATUS_INSTANCE_NAME ?? id;

// stdout is a regular file (console.log), so writes are synchronous: nothing is lost on exit.
const say = (line: string) => {
  process.stdout.write(`[${new Date().toISOString()}] ${line}\n`);
};

// Handlers first: a guest that announced its boot must shut down cleanly on SIGTERM.
let timer: NodeJS.Timeout | undefined;
const shutdown = (signal: string) => {
  clearInterval(timer);
  say(`received ${signal}, instance ${id} shutting down`);
  process.exit(0);
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

say(`Stratus guest booting: instance ${id} (${name}), pid ${process.pid}`);
say(`${name} login:`);
let beats = 0;
timer = setInterval(() => say(`heartbeat ${++beats} from instance ${id}`), 5000);
