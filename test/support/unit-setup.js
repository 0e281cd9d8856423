/**
 * Unit project only (jest.config.js): aws-cdk-lib's built-in CloudFormation template validation is off, through
 * its documented switch. It costs ~2.5 s of WebAssembly start-up in every suite (jest gives each suite a fresh
 * module registry) plus time per synthesis: ~120 s of the suite's ~320 s of CPU, measured. The integration
 * project keeps it (every stage, the cdk-nag suites, the packaged library in a consumer app), and so does
 * `npm run synth`. Construct assertions are unaffected: only the templates of construct variants that no stage
 * or consumer app builds go unvalidated.
 */
process.env.CDK_VALIDATION = 'false';
