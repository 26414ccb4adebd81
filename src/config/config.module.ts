import { DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { allConfigNamespaces } from './configuration';
import { loadEnv } from './env';

/**
 * Global configuration: `.env` (if present) plus the process environment,
 * validated when the module is built. A function rather than a static import so
 * that the environment is read when the application is created, not when this
 * file is first required (tests set their environment first).
 */
export function configModule(): Promise<DynamicModule> {
  return ConfigModule.forRoot({
    isGlobal: true,
    // Tests set their environment explicitly; a developer's .env must not leak into them.
    ignoreEnvFile: process.env.NODE_ENV === 'test',
    load: allConfigNamespaces,
    validate: (raw: Record<string, unknown>) => {
      loadEnv(raw as Record<string, string | undefined>);
      return raw;
    },
  });
}
