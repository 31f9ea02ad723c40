// Event ids need their WebAssembly compiled (src/eventId.ts); createRuntime awaits it, and so does every test
// file here, for the tests that run the pipeline without a runtime.
import { eventIdsReady } from '../src/eventId';
import { watchNodeVersionWarnings } from './support/nodeVersionWarning';

beforeAll(() => eventIdsReady);

// Tests, development and CI run on Node 22, as Lambda does: an AWS SDK client built on an older Node warns
// (NodeVersionSupportWarning), and a test file that sees the warning fails instead of printing it.
const nodeVersionWarnings = watchNodeVersionWarnings(process);
afterAll(() => nodeVersionWarnings.assertNone());
