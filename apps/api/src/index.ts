export { buildApp, type AppDeps } from './app.ts';
export { startServer, type RunningServer } from './server.ts';
