// Event ids need their WebAssembly compiled (src/eventId.ts); createRuntime awaits it, and so does every test
// file here, for the tests that run the pipeline without a runtime.
import { eventIdsReady } from '../src/eventId';

beforeAll(() => eventIdsReady);
