/**
 * The ceiling: a bare Fastify route answering 204, with the same logger Stratus uses (pino at
 * STRATUS_LOG_LEVEL, 'warn' in the benchmark), bound to loopback. Spawned like Stratus by
 * bench/servers.ts and loaded with exactly the same requests (DELETE /v2.1/servers/<id>,
 * X-Auth-Token header), so the ratio of the two throughputs is Stratus' own cost.
 *
 *   node dist/bench/baseline-server.js --port 0
 */
import Fastify from 'fastify';
import pino from 'pino';

const portArg = process.argv.indexOf('--port');
const port = portArg >= 0 ? Number(process.argv[portArg + 1]) : 0;

const app = Fastify({ loggerInstance: pino({ level: process.env.STRATUS_LOG_LEVEL ?? 'warn' }) });
app.all('/*', async (_request, reply) => {
  reply.code(204).send();
});

const address = await app.listen({ host: '127.0.0.1', port });
process.stdout.write(`Baseline is up at ${address}\n`);
const shutdown = async () => {
  await app.close();
  process.exit(0);
};
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
