import { registerAs } from '@nestjs/config';
import { loadEnv } from './env';

/**
 * Config namespaces, injected as `ConfigType<typeof workerConfig>` and so on.
 * Each reads the already-validated environment (ConfigModule's `validate` hook
 * runs `loadEnv` first and stops the process on a bad value).
 */
export const appConfig = registerAs('app', () => loadEnv(process.env).app);
export const redisConfig = registerAs('redis', () => loadEnv(process.env).redis);
export const workerConfig = registerAs('worker', () => loadEnv(process.env).worker);
export const jobsConfig = registerAs('jobs', () => loadEnv(process.env).jobs);
export const securityConfig = registerAs('security', () => loadEnv(process.env).security);
export const emailConfig = registerAs('email', () => loadEnv(process.env).email);
export const webhookConfig = registerAs('webhook', () => loadEnv(process.env).webhook);
export const metricsConfig = registerAs('metrics', () => loadEnv(process.env).metrics);

export const allConfigNamespaces = [
  appConfig,
  redisConfig,
  workerConfig,
  jobsConfig,
  securityConfig,
  emailConfig,
  webhookConfig,
  metricsConfig,
];
