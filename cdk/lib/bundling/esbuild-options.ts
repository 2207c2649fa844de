import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogLevel, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';
import { REPO_ROOT } from '../paths.ts';

/**
 * The one description of how a Lambda is bundled, shared by CDK (OrchestratorFunction's
 * NodejsFunction) and the bench (scripts/bench/bundle.ts), so the bench measures exactly what
 * deploys. It is plain esbuild BuildOptions; `toNodejsBundling` maps it onto CDK's options.
 */
export interface LambdaBundleChoices {
  /**
   * - `bundled`: every package, the AWS SDK included, is in the bundle at the version pinned in
   *   package-lock.json (the one the tests ran against).
   * - `runtime`: the `@aws-sdk/client-*` packages load from the SDK v3 the Lambda Node.js 22
   *   runtime ships, and nothing else does: AWS documents that the runtime includes "a version of
   *   the AWS SDK for JavaScript" (the service clients), not which helper libraries or versions,
   *   so `@aws-sdk/lib-dynamodb`, `@aws-sdk/util-dynamodb` and their `@aws-sdk/core` /
   *   `@smithy/*` imports are bundled (lib-dynamodb takes the client as a peer dependency, made
   *   to work with the client version it is given).
   */
  awsSdk: 'bundled' | 'runtime';
  /**
   * - `node-fetch`: grammY's own dependency.
   * - `native`: grammY's `node-fetch` and `abort-controller` imports resolve to Node 22's
   *   built-in fetch and AbortController (cdk/lib/bundling), which drops node-fetch, whatwg-url
   *   and tr46 (~300 KB minified).
   */
  fetch: 'node-fetch' | 'native';
}

/** Lets ESM bundles load CommonJS dependencies that call `require`. */
export const CREATE_REQUIRE_BANNER =
  "import { createRequire as topLevelCreateRequire } from 'node:module'; const require = topLevelCreateRequire(import.meta.url);";

/** What `awsSdk: 'runtime'` leaves out of the bundle: the service clients only. */
export const RUNTIME_PROVIDED_MODULES = ['@aws-sdk/client-*'] as const;

/** Module aliases of `fetch: 'native'`, relative to the repository root (esbuild's working directory). */
const NATIVE_FETCH_ALIASES = {
  'node-fetch': './cdk/lib/bundling/native-fetch.ts',
  'abort-controller': './cdk/lib/bundling/native-abort-controller.ts',
} as const;

/** esbuild options for one Lambda bundle (no entry point or output: the caller adds those). */
export function lambdaEsbuildOptions(choices: LambdaBundleChoices): BuildOptions & {
  external: string[];
  alias: Record<string, string>;
} {
  return {
    bundle: true,
    absWorkingDir: REPO_ROOT.replace(/\/$/, ''),
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    mainFields: ['module', 'main'],
    banner: { js: CREATE_REQUIRE_BANNER },
    sourcemap: true,
    sourcesContent: false,
    external: choices.awsSdk === 'runtime' ? [...RUNTIME_PROVIDED_MODULES] : [],
    alias: choices.fetch === 'native' ? { ...NATIVE_FETCH_ALIASES } : {},
    logLevel: 'warning',
  };
}

const LOG_LEVELS: Record<string, LogLevel> = {
  verbose: LogLevel.VERBOSE,
  debug: LogLevel.DEBUG,
  info: LogLevel.INFO,
  warning: LogLevel.WARNING,
  error: LogLevel.ERROR,
  silent: LogLevel.SILENT,
};

/**
 * The same options as NodejsFunction bundling. CDK runs esbuild from the project root (the
 * repository), so the relative aliases resolve alike. `bundleAwsSDK: true` stops CDK adding its
 * own `@aws-sdk/*` external: the externals are exactly ours.
 */
export function toNodejsBundling(options: ReturnType<typeof lambdaEsbuildOptions>): BundlingOptions {
  if (options.format !== 'esm' || options.platform !== 'node' || options.bundle !== true) {
    throw new Error('Lambda bundles are node ESM bundles');
  }
  const banner = typeof options.banner === 'object' ? options.banner.js : undefined;
  const aliases = Object.entries(options.alias).map(([from, to]) => `${from}=${to}`);
  return {
    format: OutputFormat.ESM,
    ...(options.target ? { target: String(options.target) } : {}),
    ...(options.mainFields ? { mainFields: options.mainFields } : {}),
    ...(banner ? { banner } : {}),
    minify: options.minify === true,
    sourceMap: options.sourcemap === true,
    sourcesContent: options.sourcesContent !== false,
    logLevel: LOG_LEVELS[String(options.logLevel)] ?? LogLevel.WARNING,
    bundleAwsSDK: true,
    externalModules: options.external,
    ...(aliases.length > 0 ? { esbuildArgs: { '--alias': aliases } } : {}),
  };
}
