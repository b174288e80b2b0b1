// The nats-server starter lives with devnet; tests use the same code.
export { startNatsServer, freePort, NatsServerStartError, type TestNatsServer, type StartNatsServerOptions } from '../../cli/devnet/nats-process.ts';
