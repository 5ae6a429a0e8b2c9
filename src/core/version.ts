/** This Vector Tune's version (the package's), named in exported models and printed by `vector-tune --version`. */
export { version as VECTOR_TUNE_VERSION } from '../../package.json';
