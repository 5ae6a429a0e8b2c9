// The harness's own exit codes (a run otherwise exits with the tests' code: 0, or 1 when run() rejected).
'use strict';

const EXIT_TIMEOUT = 124; // like coreutils `timeout`
const EXIT_HARNESS_ERROR = 2;
const EXIT_SIGNAL = 130; // SIGINT, SIGTERM or SIGHUP

module.exports = { EXIT_TIMEOUT, EXIT_HARNESS_ERROR, EXIT_SIGNAL };
