/**
 * How test/vscode/run.ts tells the suite about the local stand-in of Pinecone it started: the control-plane
 * URL and the one API key it accepts, in the environment of code-server and its extension host.
 */
export const PINECONE_URL_VAR = 'VECTOR_TUNE_TEST_PINECONE_URL';
export const PINECONE_KEY_VAR = 'VECTOR_TUNE_TEST_PINECONE_KEY';
/** The skip condition of the Pinecone test when the runner started no stand-in (no runner declares it: it fails). */
export const NO_PINECONE = 'no-pinecone';
