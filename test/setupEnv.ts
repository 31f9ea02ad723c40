// Tests never talk to real AWS: fixed fake credentials (s3rver's) and region, no profile.
process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
process.env.AWS_REGION = 'us-east-1';
delete process.env.AWS_SESSION_TOKEN;
delete process.env.AWS_PROFILE;
// Never hide the SDK's warning about the Node.js version: the tests check that it does not appear (Node 22).
delete process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;

// Property tests are seeded, so that CI is repeatable: a failure prints its seed and path, and the same seed
// replays it. FC_SEED=<n> runs another sequence (e.g. FC_SEED=$RANDOM in a soak loop).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fc = require('fast-check') as typeof import('fast-check');
fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261130) });
